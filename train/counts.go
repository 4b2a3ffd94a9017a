package train

// CountTokens returns how often each id in [0, V) occurs in tokens.
func CountTokens(tokens []int32, V int) []int64 {
	counts := make([]int64, V)
	for _, t := range tokens {
		if t >= 0 && int(t) < V {
			counts[t]++
		}
	}
	return counts
}
