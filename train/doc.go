// Package train holds teacher-forced training: the optimisation machinery
// (AdamW with decoupled weight decay, learning-rate schedules: warmup +
// cosine, warmup-stable-decay; global-norm gradient clipping), on flat
// float32 buffers the way package model keeps its parameters and
// gradients, with Ranges saying which parts decay; Optim, the optimizer's
// settings that pretraining (Settings) and fine-tuning (package tune)
// share; the Trainer, one optimizer step at a time; and the loop around
// it: Begin starts a run (a new model, a model directory's weights, or a
// checkpoint to resume) and Run trains it to the end, evaluating on the
// held-out split, saving checkpoints atomically, and stopping with a
// checkpoint when its context is cancelled.
//
// Settings.ScheduledSampling turns on scheduled sampling (Bengio et al.
// 2015): some inputs become the model's own sampled tokens, more of them
// as training goes on (scheduled.go has the schedules and the two-pass
// transformer version).
package train
