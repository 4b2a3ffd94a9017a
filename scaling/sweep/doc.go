// Package sweep runs a Chinchilla in miniature: it trains a grid of small
// models (shapes of depth × width, each at several compute budgets) with the
// project's own trainer, within a wall-clock budget, and records each run's
// N, D, C and held-out loss for package scaling to fit.
//
// The grid is IsoFLOP-shaped: budgets C_k = C₀·r^k (k = 0 … K−1), and at
// each budget every shape trains for D = C_k/(6N) tokens (rounded to whole
// optimizer steps, C then recomputed as 6·N·D), with its own cosine
// schedule over exactly those steps, as Hoffmann et al. did (a schedule cut
// short is what made Kaplan's data-limited runs look worse). At each
// budget only the shapes whose tokens per parameter D/N fall within a band
// (xent scaling sweep's default: 2 to 1,000) train: the others would sit far from the
// IsoFLOP minimum and cost the most time. N counts
// non-embedding parameters, Kaplan's convention: the token and position
// embeddings (and an untied head) are left out; norms and biases are in.
//
// Before anything trains, each shape's cost per token is measured (the
// median of a few steps), and C₀ is the largest budget scale whose planned
// runs (at least six), with their held-out evaluations, fit in 80% of the
// time left. With Config.FlopRate the cost is modelled instead (6 FLOPs per
// parameter per training token, 2 per held-out token, at that rate), so
// that the plan is the same on every machine, loaded or not, which is how
// the tests plan. Runs go in
// increasing compute, so that a sweep cut short (by the deadline or by
// Ctrl-C) keeps whole low budgets. After every run the CSV is rewritten
// atomically with every finished run.
package sweep
