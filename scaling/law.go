package scaling

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Chinchilla is the parametric loss L(N, D) = E + A/N^α + B/D^β of
// Hoffmann et al. (2022).
type Chinchilla struct {
	E     float64 `json:"E"`
	A     float64 `json:"A"`
	B     float64 `json:"B"`
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
}

// Loss is L(N, D).
func (c Chinchilla) Loss(n, d float64) float64 {
	return c.E + c.A/math.Pow(n, c.Alpha) + c.B/math.Pow(d, c.Beta)
}

// Allocation is the closed form of the compute-optimal split C = 6·N·D:
// N_opt = G·(C/6)^a and D_opt = G⁻¹·(C/6)^b.
type Allocation struct {
	G float64 `json:"G"` // (α·A/(β·B))^(1/(α+β))
	A float64 `json:"a"` // β/(α+β), N_opt ∝ C^a
	B float64 `json:"b"` // α/(α+β), D_opt ∝ C^b
}

// Allocation returns G, a and b; it fails unless A, B, α and β are
// positive (otherwise the loss does not fall along one of the axes and no
// finite optimum exists).
func (c Chinchilla) Allocation() (Allocation, error) {
	if !(c.A > 0 && c.B > 0 && c.Alpha > 0 && c.Beta > 0) || math.IsInf(c.A, 0) || math.IsInf(c.B, 0) {
		return Allocation{}, fmt.Errorf("no compute-optimal allocation for A = %g, B = %g, α = %g, β = %g: all four must be finite and positive", c.A, c.B, c.Alpha, c.Beta)
	}
	s := c.Alpha + c.Beta
	return Allocation{
		G: math.Pow(c.Alpha*c.A/(c.Beta*c.B), 1/s),
		A: c.Beta / s,
		B: c.Alpha / s,
	}, nil
}

// Optimal returns N_opt and D_opt for a budget of flops = 6·N·D.
func (c Chinchilla) Optimal(flops float64) (n, d float64, err error) {
	al, err := c.Allocation()
	if err != nil {
		return 0, 0, err
	}
	if !(flops > 0) || math.IsInf(flops, 0) {
		return 0, 0, fmt.Errorf("compute budget %g FLOPs: want a finite positive number", flops)
	}
	n = al.G * math.Pow(flops/6, al.A)
	return n, flops / 6 / n, nil
}

// OptimalTokens is the D at which a model of n parameters is compute-
// optimal: the inverse of N_opt(C), giving C/6 = (n/G)^(1/a) and D = C/(6n).
func (c Chinchilla) OptimalTokens(n float64) (float64, error) {
	al, err := c.Allocation()
	if err != nil {
		return 0, err
	}
	return math.Pow(n/al.G, 1/al.A) / n, nil
}

// PowerLaw is one of Kaplan's single-variable laws L(X) = (Scale/X)^Alpha.
type PowerLaw struct {
	Alpha float64 `json:"alpha"`
	Scale float64 `json:"scale"` // N_c, D_c or C_c, in the units of X
}

// Loss is L(x).
func (p PowerLaw) Loss(x float64) float64 { return math.Pow(p.Scale/x, p.Alpha) }

// PublishedFit is a scaling law as its paper reported it.
type PublishedFit struct {
	Name     string      `json:"name"`
	Citation string      `json:"citation"`
	Law      *Chinchilla `json:"chinchilla,omitempty"` // Approach 3 form
	KaplanN  *PowerLaw   `json:"kaplan_n,omitempty"`   // L(N), N non-embedding
	KaplanD  *PowerLaw   `json:"kaplan_d,omitempty"`   // L(D)
}

// Published is the built-in fits, in a fixed order.
var Published = []PublishedFit{
	{Name: "kaplan2020", Citation: "Kaplan et al. 2020, Scaling Laws for Neural Language Models",
		KaplanN: &PowerLaw{Alpha: 0.076, Scale: 8.8e13}, KaplanD: &PowerLaw{Alpha: 0.095, Scale: 5.4e13}},
	{Name: "hoffmann2022", Citation: "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models (Approach 3)",
		Law: &Chinchilla{E: 1.69, A: 406.4, B: 410.7, Alpha: 0.34, Beta: 0.28}},
	{Name: "besiroglu2024", Citation: "Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt (Epoch AI)",
		Law: &Chinchilla{E: 1.82, A: 482.01, B: 2085.43, Alpha: 0.3478, Beta: 0.3658}},
}

// publishedAliases are other names the built-in fits answer to.
var publishedAliases = map[string]string{"kaplan": "kaplan2020", "chinchilla": "hoffmann2022", "hoffmann": "hoffmann2022", "epoch": "besiroglu2024", "besiroglu": "besiroglu2024"}

// LookupPublished finds a built-in fit by name or alias, case-insensitively.
func LookupPublished(name string) (PublishedFit, error) {
	key := strings.ToLower(name)
	if alias, ok := publishedAliases[key]; ok {
		key = alias
	}
	for _, p := range Published {
		if p.Name == key {
			return p, nil
		}
	}
	names := make([]string, len(Published))
	for i, p := range Published {
		names[i] = p.Name
	}
	slices.Sort(names)
	return PublishedFit{}, fmt.Errorf("no built-in fit %q: want one of %s (or chinchilla, epoch, kaplan)", name, strings.Join(names, ", "))
}

// TableRow is a model size and its token count.
type TableRow struct {
	Label  string  `json:"label"`
	N      float64 `json:"params"`
	D      float64 `json:"tokens"`
	Source string  `json:"source"`
}

// ReferenceTable is the seed's table of model sizes and their
// Chinchilla-optimal token counts (Hoffmann et al. 2022, Table 3, from
// their Approach 1), with Llama 3 405B's 15T tokens added as a modern point
// of comparison. The seed gives sizes and tokens, not losses.
var ReferenceTable = []TableRow{
	{"400M", 400e6, 8e9, "Hoffmann 2022 Table 3"},
	{"1B", 1e9, 20e9, "Hoffmann 2022 Table 3"},
	{"10B", 10e9, 200e9, "Hoffmann 2022 Table 3"},
	{"67B", 67e9, 1.5e12, "Hoffmann 2022 Table 3"},
	{"175B", 175e9, 3.7e12, "Hoffmann 2022 Table 3"},
	{"280B", 280e9, 5.9e12, "Hoffmann 2022 Table 3"},
	{"405B", 405e9, 15e12, "Llama 3 405B"},
	{"520B", 520e9, 11e12, "Hoffmann 2022 Table 3"},
	{"1T", 1e12, 21.2e12, "Hoffmann 2022 Table 3"},
	{"10T", 10e12, 216.2e12, "Hoffmann 2022 Table 3"},
}
