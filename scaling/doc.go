// Package scaling fits neural scaling laws to a user's own training runs,
// the way Kaplan et al. (2020) and Hoffmann et al. (2022, "Chinchilla") fitted
// theirs, and plans compute with them.
//
// A run is four numbers: N parameters, D training tokens, C ≈ 6·N·D training
// FLOPs and its final held-out cross-entropy L in nats per token ([Run]).
// Runs come from a CSV ([ReadCSV]) or from a sweep of small models trained
// by the project's own trainer (package scaling/sweep).
//
// # Kaplan forms
//
// Kaplan et al. fit one variable at a time, each a pure power law:
//
//	L(N) = (N_c/N)^α_N    L(D) = (D_c/D)^α_D    L(C) = (C_c/C)^α_C
//
// Each law holds where the other resources do not limit the loss, so
// [FitKaplan] fits it to an envelope of the runs: the lowest loss at each
// distinct N (for L(N)) or D (for L(D)), and for L(C) the compute frontier,
// the runs whose loss is lower than that of every run with less compute.
// The fit is ordinary least squares of log L on log X (log L = α·log X_c −
// α·log X): with a pure power law and multiplicative noise that is the
// maximum-likelihood fit, and it needs no starting point.
//
// # Chinchilla, Approach 3
//
// Hoffmann et al. model the loss of every run at once:
//
//	L(N, D) = E + A/N^α + B/D^β
//
// [FitChinchilla] fits it as they describe. In log space, with A = e^a,
// B = e^b and E = e^e, the prediction for a run is
//
//	log L̂ = LSE(a − α·log N, b − β·log D, e)
//
// and the objective is the Huber loss with δ = 10⁻³ of (log L̂ − log L),
// summed over runs. It is minimised by L-BFGS (gonum.org/v1/gonum/optimize)
// with the analytic gradient (the LSE's softmax weights times the Huber
// slope) from every point of the grid α, β ∈ {0, 0.5, …, 2},
// e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}: 5·5·5·6·6 = 4,500 starts.
// A start has converged when gonum reports a vanishing gradient (below
// 10⁻⁹) or a stalled objective, or when its line search can make no more
// progress at a point whose gradient is below 10⁻⁷ (the Huber loss's kinks
// make that common); a start whose A, B or E overflows float64 has not.
// The best converged start wins; ties go to the earlier grid point, in the
// grid's fixed order (α slowest, then β, e, a, b). Each start is capped at
// Options.MaxIterations L-BFGS iterations (500 by default). Starts run in parallel,
// each one sequential, and the reduction is in grid order, so the result is
// the same bits for any thread count.
//
// # Compute-optimal allocation
//
// Minimising L(N, D) subject to 6·N·D = C gives, in closed form,
//
//	G = (α·A / (β·B))^(1/(α+β))
//	N_opt(C) = G·(C/6)^a,    a = β/(α+β)
//	D_opt(C) = (C/6)/N_opt = G⁻¹·(C/6)^b,    b = α/(α+β)
//
// ([Chinchilla.Optimal]). Approaches 1 and 2 estimate the exponents a and b
// without the parametric form: Approach 1 ([Envelope]) takes the runs on the
// compute frontier (the envelope of minimum loss per FLOP) and regresses
// log N and log D of those runs on log C; Approach 2 ([IsoFLOP]) groups runs
// of (nearly) equal compute, fits a parabola of L in log N to each group,
// takes each parabola's minimum as that budget's N_opt (D_opt = C/(6·N_opt)),
// and regresses those on log C. A group is the runs within 10% of its
// smallest compute; a group whose parabola opens downwards or has its
// minimum outside the group's sizes is skipped, and said so.
//
// # Intervals
//
// Confidence intervals come from the bootstrap over runs: K resamples of the
// runs with replacement, drawn from a PCG generator (math/rand/v2) seeded
// by the caller, each refitted, and the percentile interval of each
// parameter over the resamples. For Approach 3 a resample is refitted from
// the optima of the full fit's best grid starts rather than the whole grid
// (a resample's optimum lies near the full data's), which keeps K = 100
// resamples to seconds.
//
// # Excluding runs
//
// Two criteria leave runs out of a fit, and they answer different
// questions. [ExcludeHighestLoss] drops the k runs of highest loss before
// any fit: Besiroglu et al. (2024, Epoch AI) dropped the five highest-loss
// of the 245 runs they extracted from Hoffmann et al.'s Figure 4 (models
// of 2 to 7 billion parameters at the 10¹⁹-FLOP budget, each trained on
// under a billion tokens), and with that criterion Approach 3 here lands on
// their published fit (E = 1.8172, A = 477.8, B = 2143, α = 0.3473,
// β = 0.3672 against their 1.82, 482.01, 2085.43, 0.3478, 0.3658; the
// test TestFitEpochReplication). [ExcludeLargestResidual] drops the k
// runs a first fit describes worst, whatever their loss: a robustness
// check on one's own runs, and not Epoch's criterion (on their points it
// gives B = 2408).
//
// # Published fits
//
// [Published] holds three fits by name: kaplan2020 (α_N = 0.076,
// N_c = 8.8e13; α_D = 0.095, D_c = 5.4e13), hoffmann2022 (E = 1.69,
// A = 406.4, B = 410.7, α = 0.34, β = 0.28) and besiroglu2024, Epoch AI's
// replication of Approach 3 (E = 1.82, A = 482.01, B = 2085.43,
// α = 0.3478, β = 0.3658). Their losses are on their own data and
// tokenizers, so they compare with each other, not with a small model's loss
// on another corpus.
package scaling
