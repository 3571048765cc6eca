package ui

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/storage"
)

// Picking a file that is already there in the save dialog leaves it as it
// was: the dialog's writer, closed unwritten, neither empties nor creates
// anything, and a file picked anew is not made until written.
func TestSaveDialogLeavesAChosenFileAlone(t *testing.T) {
	newTestUI(t) // installs the repository, as the window does
	dir := t.TempDir()
	old := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(old, []byte("the old notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := storage.Writer(storage.NewFileURI(old))
	path, ok := chosenForSaving(w, err)
	if !ok || path != old {
		t.Fatalf("chosen %q, %v; want %q", path, ok, old)
	}
	if data, err := os.ReadFile(old); err != nil || string(data) != "the old notes" {
		t.Fatalf("the file chosen to be replaced holds %q (%v) before anything arrived", data, err)
	}

	fresh := filepath.Join(dir, "holiday photos.zip")
	w, err = storage.Writer(storage.NewFileURI(fresh))
	if path, ok := chosenForSaving(w, err); !ok || path != fresh {
		t.Fatalf("chosen %q, %v; want %q", path, ok, fresh)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatalf("a file was made at the place chosen before anything arrived (%v)", err)
	}

	// Other writers still write.
	w, err = storage.Writer(storage.NewFileURI(old))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(old); string(data) != "new" {
		t.Errorf("a writer that wrote left %q", data)
	}
}
