package conformance_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTokensComparedInConstantTime verifies TOKEN-11 where the wire
// cannot: the functions that compare login tokens and challenges do so
// only through crypto/subtle, never bytes.Equal or ==.
func TestTokensComparedInConstantTime(t *testing.T) {
	for _, c := range []struct{ file, fn, want string }{
		{"../refserver/hub/verify.go", "CheckToken", "subtle.ConstantTimeCompare"},
		{"../spec/crypto.go", "TokenEqual", "subtle.ConstantTimeCompare"},
		{"../refserver/session/account.go", "", "spec.TokenEqual"},
	} {
		calls := callsIn(t, c.file, c.fn)
		assert.Contains(t, calls, c.want, "%s %s", c.file, c.fn)
		assert.NotContains(t, calls, "bytes.Equal", "%s %s", c.file, c.fn)
	}
}

// callsIn lists the selector calls (pkg.Func) in function fn of file, or
// in the whole file when fn is "".
func callsIn(t *testing.T, file, fn string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	require.NoError(t, err)
	var out []string
	var root ast.Node = f
	if fn != "" {
		root = nil
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == fn {
				root = fd
			}
		}
		require.NotNil(t, root, "%s: no func %s", file, fn)
	}
	ast.Inspect(root, func(n ast.Node) bool {
		if ce, ok := n.(*ast.CallExpr); ok {
			if se, ok := ce.Fun.(*ast.SelectorExpr); ok {
				if id, ok := se.X.(*ast.Ident); ok {
					out = append(out, id.Name+"."+se.Sel.Name)
				}
			}
		}
		return true
	})
	return out
}
