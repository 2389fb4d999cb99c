// Package mutate makes machine-made wrong versions of a lesson's reference
// solution, one small change at a time (a `<` that became `<=`, a Close
// that was dropped, an error that was swallowed), and runs the lesson's
// tests against each one. A mutant the tests fail is killed; one they pass
// is a wrong answer a learner could hand in and be told "done".
package mutate

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Mutant is one wrong version of one solution file.
type Mutant struct {
	// ID names the mutant without a line number, so that it survives edits
	// elsewhere in the file: "echo.go:ServeEcho:remove call:`wg.Wait()`".
	// A second identical change in the same function gets "#2", and so on.
	ID     string
	File   string // the solution file, relative to the workbook's root
	Line   int
	Op     string // which kind of change, e.g. "boundary"
	Before string // the changed code, on one line
	After  string
	Src    []byte // the whole mutated file
}

// Diff is the mutant's change on one line.
func (m Mutant) Diff() string { return fmt.Sprintf("`%s` → `%s`", m.Before, m.After) }

// site is one place where one change can be made: apply makes it in the
// syntax tree, undo takes it back, so one tree serves every mutant.
type site struct {
	op, fn        string
	pos           token.Pos
	before, after string
	apply, undo   func()
}

// removable calls: dropping one of these is a classic wrong answer (a leak,
// a hang, a race, a deadline that never comes).
var removable = map[string]bool{
	"Close": true, "CloseWrite": true, "CloseRead": true, "Wait": true, "Unlock": true,
	"RUnlock": true, "cancel": true, "stop": true, "Flush": true, "SetDeadline": true,
	"SetReadDeadline": true, "SetWriteDeadline": true, "Done": true,
}

var swaps = map[token.Token]token.Token{
	token.LSS: token.LEQ, token.LEQ: token.LSS,
	token.GTR: token.GEQ, token.GEQ: token.GTR,
	token.LAND: token.LOR, token.LOR: token.LAND,
}

// File makes every mutant of one Go file, in a fixed order: the same file
// always gives the same mutants with the same IDs. Functions whose whole
// declaration also stands, word for word, in the file stub (the lesson's
// file of that name; "" for none) are the lesson's given code, not the
// learner's work, and get no mutants.
func File(root, rel, stub string) ([]Mutant, error) {
	src, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	imports := map[string]bool{}
	for _, im := range f.Imports {
		imports[strings.Trim(im.Path.Value, `"`)] = true
	}
	given := givenFuncs(root, stub)
	var sites []site
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || given[declText(fset, fd)] {
			continue
		}
		sites = append(sites, funcSites(fd, imports)...)
	}

	// Report in reading order; the stable sort keeps two changes at one
	// place in the order they were found.
	slices.SortStableFunc(sites, func(a, b site) int { return int(a.pos - b.pos) })

	var out []Mutant
	seen := map[string]int{}
	base := filepath.Base(rel)
	for _, s := range sites {
		s.apply()
		var buf bytes.Buffer
		err := format.Node(&buf, fset, f)
		s.undo()
		if err != nil {
			continue // a change the printer cannot write is no mutant
		}
		id := fmt.Sprintf("%s:%s:%s:`%s` → `%s`", base, s.fn, s.op, s.before, s.after)
		seen[id]++
		if n := seen[id]; n > 1 {
			id += "#" + strconv.Itoa(n)
		}
		out = append(out, Mutant{
			ID: id, File: rel, Line: fset.Position(s.pos).Line, Op: s.op,
			Before: s.before, After: s.after, Src: buf.Bytes(),
		})
	}
	return out, nil
}

// funcSites lists the changes that can be made inside one function.
func funcSites(fd *ast.FuncDecl, imports map[string]bool) []site {
	name := fd.Name.Name
	if fd.Recv != nil && len(fd.Recv.List) == 1 {
		name = recvName(fd.Recv.List[0].Type) + "." + name
	}
	var sites []site
	add := func(op string, at ast.Node, before string, apply, undo func(), after func() string) {
		apply()
		shown := after()
		undo()
		sites = append(sites, site{op: op, fn: name, pos: at.Pos(), before: before, after: shown, apply: apply, undo: undo})
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			stmtSites(&n.List, add)
		case *ast.CaseClause:
			stmtSites(&n.Body, add)
		case *ast.CommClause:
			stmtSites(&n.Body, add)
		case *ast.SelectStmt:
			selectSites(n, add)
		case *ast.IfStmt:
			cond := n.Cond
			add("negate", n.Cond, oneLine(n.Cond),
				func() { n.Cond = &ast.UnaryExpr{Op: token.NOT, X: &ast.ParenExpr{X: cond}} },
				func() { n.Cond = cond }, func() string { return oneLine(n.Cond) })
		case *ast.BinaryExpr:
			if to, ok := swaps[n.Op]; ok {
				from := n.Op
				add("boundary", n, oneLine(n), func() { n.Op = to }, func() { n.Op = from }, shown(n))
			}
		case *ast.BasicLit:
			intSites(n, add)
		case *ast.ReturnStmt:
			for i, r := range n.Results {
				if id, ok := r.(*ast.Ident); ok && id.Name == "err" {
					add("swallow error", n, oneLine(n),
						func() { n.Results[i] = ast.NewIdent("nil") }, func() { n.Results[i] = id }, shown(n))
				}
			}
		case *ast.CallExpr:
			callSites(n, imports, add)
		}
		return true
	})
	return sites
}

type addFunc func(op string, at ast.Node, before string, apply, undo func(), after func() string)

// shown prints n as it is when called: the "after" of a change made in place.
func shown(n ast.Node) func() string { return func() string { return oneLine(n) } }

func removed() string { return "(removed)" }

// stmtSites are the statements whose removal, or whose running inline, is
// a wrong answer: a dropped Close or defer, an error check that vanished, a
// goroutine run in the caller's.
func stmtSites(list *[]ast.Stmt, add addFunc) {
	for i, st := range *list {
		remove := func(op string) {
			add(op, st, oneLine(st), func() { (*list)[i] = &ast.EmptyStmt{Implicit: true} }, func() { (*list)[i] = st }, removed)
		}
		switch st := st.(type) {
		case *ast.DeferStmt:
			remove("remove defer")
		case *ast.ExprStmt:
			if call, ok := st.X.(*ast.CallExpr); ok && removable[calleeName(call)] {
				remove("remove call")
			}
		case *ast.GoStmt:
			inline := &ast.ExprStmt{X: st.Call}
			add("go inline", st, oneLine(st), func() { (*list)[i] = inline }, func() { (*list)[i] = st }, shown(inline))
		case *ast.IfStmt:
			if isErrCheck(st) {
				remove("drop error check")
			}
		}
	}
}

func selectSites(n *ast.SelectStmt, add addFunc) {
	if len(n.Body.List) < 2 {
		return
	}
	for i, c := range n.Body.List {
		cc := c.(*ast.CommClause)
		before := "case"
		if cc.Comm != nil {
			before = "case " + oneLine(cc.Comm)
		} else {
			before = "default"
		}
		add("remove select case", cc, before, func() {
			n.Body.List = append(append([]ast.Stmt{}, n.Body.List[:i]...), n.Body.List[i+1:]...)
		}, func() {
			n.Body.List = append(append(append([]ast.Stmt{}, n.Body.List[:i]...), c), n.Body.List[i:]...)
		}, removed)
	}
}

func intSites(n *ast.BasicLit, add addFunc) {
	if n.Kind != token.INT {
		return
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		return
	}
	orig := n.Value
	for _, d := range []int64{+1, -1} {
		if v+d < 0 {
			continue
		}
		nv := strconv.FormatInt(v+d, 10)
		add("constant", n, orig, func() { n.Value = nv }, func() { n.Value = orig }, func() string { return nv })
	}
}

// callSites: a ctx argument replaced by context.Background() (cancellation
// ignored), and strings.EqualFold turned into == (case matters again).
func callSites(n *ast.CallExpr, imports map[string]bool, add addFunc) {
	if imports["context"] {
		for i, a := range n.Args {
			if id, ok := a.(*ast.Ident); ok && id.Name == "ctx" {
				bg := &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent("context"), Sel: ast.NewIdent("Background")}}
				add("ignore ctx", n, oneLine(n), func() { n.Args[i] = bg }, func() { n.Args[i] = id }, shown(n))
			}
		}
	}
	if sel, ok := n.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "strings") && sel.Sel.Name == "EqualFold" && len(n.Args) == 2 {
		fun, args := n.Fun, n.Args
		// A call cannot become a binary expression in place; a function
		// literal that returns a == b can, and means the same.
		eq := &ast.FuncLit{
			Type: &ast.FuncType{Params: &ast.FieldList{}, Results: &ast.FieldList{List: []*ast.Field{{Type: ast.NewIdent("bool")}}}},
			Body: &ast.BlockStmt{List: []ast.Stmt{&ast.ReturnStmt{Results: []ast.Expr{
				&ast.BinaryExpr{X: args[0], Op: token.EQL, Y: args[1]}}}}},
		}
		add("case", n, oneLine(n), func() { n.Fun, n.Args = eq, nil }, func() { n.Fun, n.Args = fun, args }, shown(n))
	}
}

// isErrCheck matches `if err != nil { ...; return ... }` with no else.
func isErrCheck(st *ast.IfStmt) bool {
	be, ok := st.Cond.(*ast.BinaryExpr)
	if !ok || be.Op != token.NEQ || !isIdent(be.Y, "nil") || st.Else != nil || len(st.Body.List) == 0 {
		return false
	}
	id, ok := be.X.(*ast.Ident)
	if !ok || !(id.Name == "err" || strings.HasSuffix(id.Name, "Err")) {
		return false
	}
	_, ok = st.Body.List[len(st.Body.List)-1].(*ast.ReturnStmt)
	return ok
}

func calleeName(call *ast.CallExpr) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// oneLine prints a node on one line, cut to a readable length.
func oneLine(n ast.Node) string {
	var buf bytes.Buffer
	if err := format.Node(&buf, token.NewFileSet(), n); err != nil {
		return fmt.Sprintf("%T", n)
	}
	s := strings.Join(strings.Fields(buf.String()), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// givenFuncs returns the text of every function declared in the stub file.
func givenFuncs(root, stub string) map[string]bool {
	out := map[string]bool{}
	if stub == "" {
		return out
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, stub), nil, parser.SkipObjectResolution)
	if err != nil {
		return out // no stub, or one that does not parse: nothing is given
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			out[declText(fset, fd)] = true
		}
	}
	return out
}

// declText prints a function without its doc comment, so that only code
// is compared.
func declText(fset *token.FileSet, fd *ast.FuncDecl) string {
	doc := fd.Doc
	fd.Doc = nil
	defer func() { fd.Doc = doc }()
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, fd); err != nil {
		return ""
	}
	return buf.String()
}
