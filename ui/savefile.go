package ui

import (
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage/repository"
)

// A received file is written beside the place chosen for it and moved
// there only once it is whole and checked (rtc/files.go). Fyne's save
// dialog, though, opens the file a person picks for writing before it
// hands it over, which empties a file of that name that is already there:
// a person who picks an old file to replace and whose transfer then fails
// would lose the old file for nothing. keepUntilWritten puts a file
// repository in front of Fyne's whose writers open the file only when
// something is written to them; the dialog's writer, closed unwritten,
// leaves the old file as it was until the new one takes its place.

// fileRepository is what Fyne's own repository for file: URIs does, all of
// which the wrapper passes on.
type fileRepository interface {
	repository.WritableRepository
	repository.AppendableRepository
	repository.DeleteAllRepository
	repository.HierarchicalRepository
	repository.ListableRepository
	repository.CopyableRepository
	repository.MovableRepository
}

// keepUntilWritten is Fyne's file repository with writers that open (and
// so empty) their file at the first write, not at once.
type keepUntilWritten struct{ fileRepository }

// Writer returns a writer that creates or empties the file at its first
// write; closed without one, it leaves the file as it was.
func (r keepUntilWritten) Writer(u fyne.URI) (fyne.URIWriteCloser, error) {
	if info, err := os.Stat(u.Path()); err == nil && info.IsDir() {
		return r.fileRepository.Writer(u) // the error Fyne gives
	}
	return &lazyWriter{uri: u}, nil
}

// keepFilesUntilWritten installs keepUntilWritten for file: URIs, once for
// the app's driver; it leaves a repository it does not know alone.
func keepFilesUntilWritten() {
	r, err := repository.ForScheme("file")
	if err != nil {
		return
	}
	if _, done := r.(keepUntilWritten); done {
		return
	}
	if full, ok := r.(fileRepository); ok {
		repository.Register("file", keepUntilWritten{full})
	}
}

// lazyWriter writes a file it creates (or empties) at its first write.
type lazyWriter struct {
	uri fyne.URI
	f   *os.File
}

func (w *lazyWriter) URI() fyne.URI { return w.uri }

func (w *lazyWriter) Write(p []byte) (int, error) {
	if w.f == nil {
		f, err := os.Create(w.uri.Path())
		if err != nil {
			return 0, err
		}
		w.f = f
	}
	return w.f.Write(p)
}

func (w *lazyWriter) Close() error {
	if w.f == nil {
		return nil
	}
	return w.f.Close()
}
