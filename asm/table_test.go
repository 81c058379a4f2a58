package asm

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// optionalEntries are the table entries a path may leave nil; only the
// AVX-512 paths have them, and they have all of them. amxEntries only
// avx512-amx has, all of them.
var (
	optionalEntries = []string{"tile", "tile4", "tile2", "tileK", "tileK6", "tileK4", "tileK2", "tileK6x4", "tileK6x2", "prefetch", "attn"}
	amxEntries      = []string{"tileKAMX", "amxOn", "amxOff", "repackQ4KAMX", "repackQ5KAMX"}
)

// TestTable sets each path through the one table and checks what it
// holds: every other entry on every path, the optional ones on the
// AVX-512 paths only, the AMX ones on avx512-amx only.
func TestTable(t *testing.T) {
	saved := table()
	defer func() { cur.Store(saved) }()
	for _, name := range Paths() {
		if err := SetPath(name); err != nil {
			t.Fatal(err)
		}
		k := table()
		if k.name != name || Path() != name {
			t.Fatalf("SetPath(%q): table holds %q", name, k.name)
		}
		v := reflect.ValueOf(k).Elem()
		avx512 := name == "avx512" || name == "avx512-amx"
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Type.Kind() != reflect.Func || f.Name == "prepQ8" || strings.Contains(" "+strings.Join(append(optionalEntries, amxEntries...), " ")+" ", " "+f.Name+" ") {
				continue
			}
			if v.Field(i).IsNil() {
				t.Errorf("path %s: entry %s is nil", name, f.Name)
			}
		}
		for _, f := range optionalEntries {
			if has := !v.FieldByName(f).IsNil(); has != avx512 {
				t.Errorf("path %s: has %s = %v", name, f, has)
			}
		}
		for _, f := range amxEntries {
			if has := !v.FieldByName(f).IsNil(); has != (name == "avx512-amx") {
				t.Errorf("path %s: has %s = %v", name, f, has)
			}
		}
		if k.floatTiles != avx512 {
			t.Errorf("path %s: floatTiles = %v", name, k.floatTiles)
		}
	}
}

// TestBadEnv runs this test binary with EXAONE_KERNELS naming a path that
// does not exist: Init reports it, and the kernels run the best path
// instead of panicking.
func TestBadEnv(t *testing.T) {
	if os.Getenv("ASM_TEST_BAD_ENV") != "" {
		if err := Init(); err == nil || !strings.Contains(err.Error(), "sse9") {
			t.Fatalf("Init() = %v", err)
		}
		if Err() == nil || Path() != Paths()[0] {
			t.Fatalf("Err() = %v, Path() = %s", Err(), Path())
		}
		out := make([]float32, 4)
		gemvQ8_0(out, make([]byte, 4*34), make([]byte, 34))
		if err := SetPath("generic"); err != nil || Err() != nil {
			t.Fatalf("SetPath(generic) = %v, then Err() = %v", err, Err())
		}
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBadEnv$", "-test.v")
	cmd.Env = append(os.Environ(), EnvVar+"=sse9", "ASM_TEST_BAD_ENV=1")
	out, err := cmd.CombinedOutput()
	if _, ran := err.(*exec.ExitError); err != nil && !ran {
		t.Skipf("cannot run this binary as a child (emulated?): %v", err)
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
