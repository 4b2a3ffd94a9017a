package train_test

import (
	"fmt"

	"github.com/xent-dev/xent/train"
)

func ExampleAdamW() {
	params := []float32{1, -2, 0.5} // the first two decay, the last (a bias, say) does not
	grads := []float32{0.1, -0.3, 0.2}
	opt := train.NewAdamW(len(params), 0.1, []train.Range{{Lo: 0, Hi: 2}})
	sched := train.Cosine{Peak: 1e-2, Warmup: 1, Total: 10, MinRatio: 0.1}
	norm := train.ClipGlobalNorm(grads, 1.0)
	if err := opt.Update(params, grads, sched.LR(0)); err != nil {
		panic(err)
	}
	fmt.Printf("grad norm %.4f, params %.4f\n", norm, params)
	// Output: grad norm 0.3742, params [0.9890 -1.9880 0.4900]
}

func ExampleSettings_TeacherForcingProb() {
	// Bengio et al.'s inverse sigmoid with k = 100: the chance that an input
	// keeps its true token falls from 0.99 to about 0.5 at step 460.
	s := train.Settings{ScheduledSampling: train.SSInverseSigmoid, SSK: 100}
	for _, step := range []int{0, 200, 460, 800} {
		fmt.Printf("step %d: ε = %.2f\n", step, s.TeacherForcingProb(step))
	}
	// Output:
	// step 0: ε = 0.99
	// step 200: ε = 0.93
	// step 460: ε = 0.50
	// step 800: ε = 0.03
}
