package thingyard

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the import graph in docs/architecture.md (make architecture)")

const (
	module     = "github.com/thingyard/thingyard"
	graphBegin = "<!-- import graph: made by make architecture from go list; do not edit -->"
	graphEnd   = "<!-- end of import graph -->"
)

// TestArchitectureGraph holds the import graph in docs/architecture.md to
// what go list says of the code: a package that starts importing another
// fails here until the document is made again (make architecture).
func TestArchitectureGraph(t *testing.T) {
	graph := importGraph(t)
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(graphBegin)), bytes.Index(doc, []byte(graphEnd))
	if i < 0 || j < i {
		t.Fatalf("docs/architecture.md has no import graph between %q and %q", graphBegin, graphEnd)
	}
	now := doc[i+len(graphBegin) : j]
	if bytes.Equal(now, graph) {
		return
	}
	if *update {
		out := slices.Concat(doc[:i+len(graphBegin)], graph, doc[j:])
		if err := os.WriteFile("docs/architecture.md", out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the import graph in docs/architecture.md is not the code's: run make architecture. The code's:\n%s", graph)
}

// importGraph is the module's packages with what each imports of the
// module and what imports it, as a Markdown table. The browser packages
// are listed as GOOS=js builds them, the rest as the server does; test
// files are left out.
func importGraph(t *testing.T) []byte {
	t.Helper()
	imports := map[string][]string{}
	list := func(env []string, pattern string) {
		cmd := exec.Command("go", "list", "-json=ImportPath,Imports,GoFiles", pattern)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pattern, err)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var p struct {
				ImportPath string
				Imports    []string
				GoFiles    []string
			}
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			name := short(p.ImportPath)
			if len(p.GoFiles) == 0 || (pattern == "./..." && (name == "wasm" || strings.HasPrefix(name, "wasm/"))) {
				continue
			}
			imports[name] = []string{}
			for _, imp := range p.Imports {
				if imp == module || strings.HasPrefix(imp, module+"/") {
					imports[name] = append(imports[name], short(imp))
				}
			}
		}
	}
	list(nil, "./...")
	list([]string{"GOOS=js", "GOARCH=wasm"}, "./wasm/...")
	by := map[string][]string{}
	for p, imps := range imports {
		for _, imp := range imps {
			by[imp] = append(by[imp], p)
		}
	}
	names := make([]string, 0, len(imports))
	for p := range imports {
		names = append(names, p)
	}
	slices.Sort(names)
	var b bytes.Buffer
	b.WriteString("\n\n| package | imports (of Thingyard's) | imported by |\n|---|---|---|\n")
	for _, p := range names {
		slices.Sort(by[p])
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p, codes(imports[p]), codes(by[p]))
	}
	b.WriteString("\n")
	return b.Bytes()
}

func short(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

func codes(ps []string) string {
	if len(ps) == 0 {
		return "—"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "`" + p + "`"
	}
	return strings.Join(out, ", ")
}

// importRules are the imports a package may not have, as the native build
// lists them: the core knows neither program nor any engine, the programs
// do not know each other, and the page's room client and controller build
// without a browser so go test reaches them.
var importRules = []struct {
	pkgs   []string // packages (a trailing / covers those under it)
	banned []string // imports (a trailing / covers those under it)
	why    string
}{
	{[]string{"sim", "sim/", "scenes", "wire", "board", "board/", "capture"},
		[]string{module + "/server", module + "/server/", module + "/wasm", module + "/wasm/", "syscall/js", "github.com/hajimehoshi/ebiten/", "github.com/vugu/"},
		"the core knows neither program, the browser nor an engine"},
	{[]string{"server", "server/"}, []string{module + "/wasm", module + "/wasm/"}, "the server does not know the page"},
	{[]string{"wasm", "wasm/"}, []string{module + "/server", module + "/server/"}, "the page does not know the server"},
	{[]string{"wasm/room"}, []string{"syscall/js", "github.com/hajimehoshi/ebiten/", "github.com/vugu/"},
		"the room client and session are tested natively against the real relay"},
	{[]string{"wasm/controller"}, []string{"syscall/js", "github.com/hajimehoshi/ebiten/", "github.com/vugu/",
		module + "/wasm/render", module + "/wasm/webserial"},
		"the page's controller holds no browser handle: the page gives it the browser and the renderer through interfaces, so go test reaches it natively"},
}

// TestImportRules holds the packages to importRules.
func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "./...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	checked := map[string]bool{}
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := short(p.ImportPath)
		for _, r := range importRules {
			if !covers(r.pkgs, name) {
				continue
			}
			checked[name] = true
			for _, imp := range p.Imports {
				if covers(r.banned, imp) {
					t.Errorf("%s imports %s: %s", name, imp, r.why)
				}
			}
		}
	}
	if !checked["wasm/room"] || !checked["wasm/controller"] || !checked["sim"] {
		t.Errorf("go list did not list wasm/room, wasm/controller and sim natively: the rules checked %v", checked)
	}
}

// covers reports whether name is one of list, or under one ending in /.
func covers(list []string, name string) bool {
	for _, p := range list {
		if name == p || strings.HasSuffix(p, "/") && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// pageBanned are packages the page's program must not link, however
// indirectly: the browser fetches and speaks TLS, and net/http with
// crypto/tls once added about 300 KB to the brotli download.
var pageBanned = []string{"net/http", "crypto/tls", "crypto/x509"}

// TestPageLinksNoHTTPStack lists everything the page's program links and
// finds none of pageBanned.
func TestPageLinksNoHTTPStack(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./wasm for js/wasm: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps ./wasm listed %d packages: want the page's whole program", len(deps))
	}
	for _, d := range deps {
		if slices.Contains(pageBanned, d) {
			t.Errorf("the page's program links %s: the browser does the fetching; call it through the page's Net instead", d)
		}
	}
}
