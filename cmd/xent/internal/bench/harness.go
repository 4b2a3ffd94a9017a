// Package bench measures what this machine does with xent, for `xent bench`:
// the fused cross-entropy (CrossEntropy), the kernels on the transformer's
// shapes (Kernels), a training step (TrainStep) and teacher forcing against
// decoding (TeacherForcing). It sits above what it measures (loss, model,
// train), beside the command that prints it; the packages measured keep
// their own go test benchmarks of the same shapes (BenchmarkCrossEntropy,
// BenchmarkSgemm, BenchmarkLinearCrossEntropy, BenchmarkTrainStep).
//
// Every measurement goes through one harness, Time: warm-up calls, then
// timed calls, summarized as the fastest, median and slowest.
package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Config sets how much to measure.
type Config struct {
	Iters    int          // timed iterations per measurement, after the warm-up
	Threads  int          // 0: GOMAXPROCS
	Only     string       // run only the measurements whose name contains it ("" runs all)
	Progress func(string) // called before each measurement; may be nil
}

func (c Config) wants(name string) bool { return strings.Contains(name, c.Only) }

// check validates c and fills in a nil Progress.
func (c *Config) check() error {
	if c.Iters < 1 {
		return fmt.Errorf("bench: %d iterations; need at least 1", c.Iters)
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	return nil
}

// Stats are the minimum, median and maximum of a measurement's iterations
// (the median of an even count is the mean of the middle two).
type Stats struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// Time is the harness: it calls f warmUps times untimed, then iters times
// timed, and returns the seconds per call. reset, if not nil, runs before
// every call, untimed (to restore inputs a call overwrites). An error from f
// ends it.
func Time(iters, warmUps int, reset, f func() error) (Stats, error) {
	if iters < 1 {
		return Stats{}, fmt.Errorf("bench: %d iterations; need at least 1", iters)
	}
	call := func() (time.Duration, error) {
		if reset != nil {
			if err := reset(); err != nil {
				return 0, err
			}
		}
		t0 := time.Now()
		err := f()
		return time.Since(t0), err
	}
	for range warmUps {
		if _, err := call(); err != nil {
			return Stats{}, err
		}
	}
	secs := make([]float64, iters)
	for i := range secs {
		dt, err := call()
		if err != nil {
			return Stats{}, err
		}
		secs[i] = dt.Seconds()
	}
	slices.Sort(secs)
	k := len(secs) / 2
	med := secs[k]
	if len(secs)%2 == 0 {
		med = (secs[k-1] + secs[k]) / 2
	}
	return Stats{Min: secs[0], Median: med, Max: secs[len(secs)-1]}, nil
}

// PerSecond turns seconds per call into a rate, work units per second: the
// slowest call gives the minimum.
func (s Stats) PerSecond(work float64) Stats {
	return Stats{Min: work / s.Max, Median: work / s.Median, Max: work / s.Min}
}

// Measurement is one number: the median rate over the timed iterations,
// with the slowest and fastest beside it (for a rate Min is the slowest
// iteration's).
type Measurement struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// rate is the Measurement of work units per second from seconds per call.
func rate(name, unit string, secs Stats, work float64) Measurement {
	r := secs.PerSecond(work)
	return Measurement{Name: name, Value: r.Median, Unit: unit, Min: r.Min, Max: r.Max}
}
