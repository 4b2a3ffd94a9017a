package gemm

// Transpose says how a matrix operand enters a product: as stored, or
// transposed. Sgemm(NoTrans, Trans, …) computes A·Bᵀ.
type Transpose uint8

const (
	NoTrans Transpose = iota // op(X) = X: the operand as stored
	Trans                    // op(X) = Xᵀ: the operand transposed
)

// String is "N" or "T", BLAS's letters for the two.
func (t Transpose) String() string {
	if t == Trans {
		return "T"
	}
	return "N"
}
