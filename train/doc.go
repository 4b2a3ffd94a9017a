// Package train holds the optimisation machinery of teacher-forced
// training: AdamW with decoupled weight decay, learning-rate schedules
// (warmup + cosine, warmup-stable-decay) and global-norm gradient clipping.
// They work on flat float32 buffers, the way package model keeps its
// parameters and gradients, with Ranges saying which parts decay.
//
// Settings.ScheduledSampling turns on scheduled sampling (Bengio et al.
// 2015): some inputs become the model's own sampled tokens, more of them
// as training goes on (scheduled.go has the schedules and the two-pass
// transformer version).
package train
