// Package train holds the optimisation machinery of teacher-forced
// training: AdamW with decoupled weight decay, learning-rate schedules
// (warmup + cosine, warmup-stable-decay) and global-norm gradient clipping.
// They work on flat float32 buffers, the way package model keeps its
// parameters and gradients, with Ranges saying which parts decay.
package train
