package gemm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The instructions the generator encodes by hand (BYTE lines in the
// assembly, the instruction in their comment) disassemble, with GNU
// objdump, to the instruction the comment names. Skipped without objdump;
// the kernels' tests execute every one of them as well.
func TestHandEncodingsDisassemble(t *testing.T) {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Skip("no objdump here")
	}
	byteRe := regexp.MustCompile(`BYTE \$0x([0-9a-f]{2})`)
	var code []byte
	var want []string
	for _, name := range []string{"kernels_amd64.s", "bf16_amd64.s"} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			bs := byteRe.FindAllStringSubmatch(line, -1)
			if len(bs) == 0 {
				continue
			}
			for _, b := range bs {
				v, _ := strconv.ParseUint(b[1], 16, 8)
				code = append(code, byte(v))
			}
			_, comment, ok := strings.Cut(line, "// ")
			if !ok {
				t.Fatalf("%s: %q names no instruction", name, line)
			}
			want = append(want, attSyntax(comment))
		}
		f.Close()
	}
	bin := filepath.Join(t.TempDir(), "code.bin")
	if err := os.WriteFile(bin, code, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "i386:x86-64", bin).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	insnRe := regexp.MustCompile(`^\s+[0-9a-f]+:\t(?:[0-9a-f]{2} )+\s*\t(.*)$`)
	var got []string
	for _, line := range bytes.Split(out, []byte("\n")) {
		if m := insnRe.FindSubmatch(line); m != nil {
			got = append(got, strings.Join(strings.Fields(string(m[1])), " "))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("objdump read %d instructions from %d hand-encoded ones", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("instruction %d: objdump reads %q, the comment says %q", i, got[i], want[i])
		}
	}
	if len(want) == 0 {
		t.Fatal("no hand-encoded instructions found")
	}
}

// attSyntax writes a Go-syntax instruction of the comments the way objdump
// prints it: VDPBF16PS 8(AX){1to16}, Z28, Z0 → vdpbf16ps 0x8(%rax){1to16},%zmm28,%zmm0.
func attSyntax(insn string) string {
	op, args, _ := strings.Cut(strings.TrimSpace(insn), " ")
	gpr := map[string]string{"AX": "%rax", "BX": "%rbx", "CX": "%rcx", "DX": "%rdx", "SI": "%rsi", "DI": "%rdi"}
	memRe := regexp.MustCompile(`^(-?\d+)?\((\w+)\)(?:\((\w+)\*1\))?(\{1to16\})?$`)
	var ops []string
	for _, a := range strings.Split(args, ",") {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
		case strings.HasPrefix(a, "TMM"):
			ops = append(ops, "%tmm"+a[3:])
		case strings.HasPrefix(a, "Z"):
			ops = append(ops, "%zmm"+a[1:])
		default:
			m := memRe.FindStringSubmatch(a)
			if m == nil {
				return "unparsed operand " + a
			}
			disp, _ := strconv.Atoi(m[1])
			s := ""
			if disp != 0 {
				s = fmt.Sprintf("%#x", disp)
			}
			if m[3] != "" {
				s += "(" + gpr[m[2]] + "," + gpr[m[3]] + ",1)"
			} else {
				s += "(" + gpr[m[2]] + ")"
			}
			ops = append(ops, s+m[4])
		}
	}
	return strings.TrimSpace(strings.ToLower(op) + " " + strings.Join(ops, ","))
}
