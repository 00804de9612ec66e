package source

import (
	"os"
	"path/filepath"
	"testing"
)

// CONTRACT.md: a bad file in a walked directory is reported, not skipped.
// A file named like a capture stays in the walk so Open can say what is
// wrong with it; other files that are not captures are still passed over.
func TestExpandKeepsBadFilesNamedLikeCaptures(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"broken.pcap":   "this is not a capture",
		"notes.txt":     "plant visit notes",
		"cut.pcapng.gz": "not gzip either",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{filepath.Join(dir, "broken.pcap"): true, filepath.Join(dir, "cut.pcapng.gz"): true}
	if len(got) != len(want) {
		t.Fatalf("Expand = %v, want the two capture-named files", got)
	}
	for _, p := range got {
		if !want[p] {
			t.Errorf("unexpected %s", p)
		}
		if _, err := Open(p); err == nil {
			t.Errorf("Open(%s) accepted a file that is not a capture", p)
		}
	}
}
