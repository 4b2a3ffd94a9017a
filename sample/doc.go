// Package sample turns a model's next-token logits into text and measures
// what comes out: logits processors, seeded sampling, a KV-cache Generator,
// and the degeneration metrics of Welleck et al. 2019.
//
// # Processors
//
// Each processor rewrites a logits row [V] in place; a token a processor
// removes gets −Inf. Their semantics are the ones users know:
//
//   - Repetition penalty r (Keskar et al. 2019, as Hugging Face's
//     RepetitionPenaltyLogitsProcessor): for every distinct token in the
//     penalty window, once however often it occurs, a positive logit is
//     divided by r and a negative one multiplied by r. 1 is off.
//   - Frequency and presence penalties f, p (as OpenAI defines them):
//     logit[j] − c[j]·f − [c[j] > 0]·p, with c[j] the count of token j in
//     the penalty window. 0 is off. OpenAI counts only sampled tokens; here
//     the window is the same as the repetition penalty's (the last
//     PenaltyWindow tokens of the context, prompt included, as llama.cpp's
//     penalty_last_n), 0 meaning the whole context (Hugging Face).
//   - Temperature T: logits / T. T = 0 is greedy decoding: the token of
//     highest processed logit (the lowest id among ties), no randomness.
//   - Top-k: keeps the k highest logits, and every token tied with the k-th
//     (as Hugging Face's TopKLogitsWarper). 0 is off.
//   - Top-p, nucleus sampling (Holtzman et al. 2020): keeps the smallest set
//     of most probable tokens whose probability sums to at least p: a token
//     stays when the probability of the tokens ranked above it is below p.
//     1 is off (as is 0, the zero value; commands reject it).
//   - Min-p (Nguyen et al. 2024): keeps the tokens whose probability is at
//     least p times the top token's. 0 is off.
//
// # Order
//
// The processors run in Settings.Order, by default DefaultOrder:
//
//	penalties, temperature, top-k, top-p, min-p
//
// which is Hugging Face's (generate applies the repetition penalty and the
// other LogitsProcessors first, then the warpers temperature, top-k, top-p,
// min-p). llama.cpp's default chain puts the temperature last (penalties,
// top-k, top-p, min-p, temperature), so that top-p and min-p cut the
// untempered distribution: ParseOrder("penalties,top-k,top-p,min-p,temperature")
// gives it. Top-k does not care where the temperature is; top-p and min-p
// do, and the frequency and presence penalties do not commute with it.
//
// # Determinism
//
// A Sampler draws from a PCG generator seeded by Settings.Seed and a stream
// number, and sums probabilities in token order in float64: the same seed,
// stream, model and thread count give the same tokens, so the same text.
//
// # What a Generator reports
//
// Every generated token comes with its log-probability and rank under the
// unmodified model distribution, log softmax of the raw logits at
// temperature 1 before any penalty or cut, not the distribution it was
// sampled from: so the mean log-probability of a text says how likely the
// model itself finds it, whatever the decoding. The rank is 1 for the
// model's top token, 1 + the number of tokens with a higher raw logit in
// general.
//
// # Degeneration metrics
//
// As defined by Welleck et al. 2019 ("Neural Text Degeneration with
// Unlikelihood Training", §6), on token ids:
//
//   - seq-rep-n of a continuation: 1 − |unique n-grams| / |n-grams|, the
//     share of its n-grams that repeat an earlier one; averaged over
//     continuations. A continuation of L tokens has L − n + 1 n-grams.
//   - rep/ℓ: the share of positions whose top-1 next-token prediction
//     occurs among the ℓ tokens before it; wrep/ℓ: those that are also
//     wrong (differ from the actual next token). Averaged per continuation,
//     then over continuations; ℓ = 128 in the paper's tables. The paper
//     measures them on held-out text under teacher forcing; on generated
//     text the actual next token is the chosen one, so greedy decoding
//     without penalties has wrep = 0 (every top-1 was chosen).
//   - uniq: the number of distinct tokens over all continuations.
//   - distinct-n (Li et al. 2016, used beside them): distinct n-grams over
//     all n-grams, pooled over every continuation.
//   - the mean log-probability of the generated tokens under the model.
//
// Their reference code (facebookresearch/unlikelihood_training,
// ngram_repeat_mask in custom/sequence_penalty_loss.py and
// custom/gpt2/run_gpt2.py) loops j over range(len(x) − n) and so never
// looks at the last n-gram, starting at len(x) − n: a repeat that ends the
// continuation goes unmarked. RepeatMask includes it; the metric itself
// (ngram_metrics, on nltk's ngrams) counts every n-gram, as SeqRep does.
package sample
