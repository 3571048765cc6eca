package rtc

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"
)

// Sending files during a call (docs/PROTOCOL.md, section 10). Files travel
// on a data channel of their own, `file`: text messages are the JSON
// offer/accept/decline/cancel/done/saved messages, binary messages the
// chunks of a file. The sender paces its chunks so that they give way to
// the call's audio and video (filepace.go) and keeps at most a tenth of a
// second of chunks waiting in the channel (fileBufferFor), so a transfer
// never stands long in front of the call's media or its hang-up. The
// receiver writes to a temporary file beside the final one, checks the
// SHA-256 the sender announces at the end, syncs it and renames it; a
// transfer that fails for any reason, the call's end included, removes
// the temporary, so no partial file is ever left under the final name.

// The file channel.
const (
	FileLabel = "file"
	FileID    = 3
)

// Limits of the file protocol.
const (
	// MaxFileBytes is the largest file Peercall sends or accepts: 4 GiB.
	MaxFileBytes = 4 << 30
	// MaxFileNameBytes bounds an offered name, in UTF-8 bytes (the
	// longest name common file systems take).
	MaxFileNameBytes = 255
	// fileChunkData is the most file data in one chunk: 16 KiB, the size
	// every browser sends and receives in one message. Slower transfers
	// send smaller chunks (filepace.go).
	fileChunkData = 16 << 10
	// fileChunkHeader: the transfer id (4 bytes) and the offset (8).
	fileChunkHeader = 12
	// maxFileMessageBytes bounds a JSON message on the file channel.
	maxFileMessageBytes = 4 << 10
	// The sender leaves at most fileBufferFor of chunks at its pace
	// waiting in the channel, within fileMinBuffered..fileMaxBuffered;
	// above that it waits for the channel to drain to fileLowBuffered
	// (BufferedAmountLowThreshold), looking again every fileRecheck.
	fileBufferFor   = 100 * time.Millisecond
	fileMinBuffered = 64 << 10
	fileMaxBuffered = 1 << 20
	fileLowBuffered = 32 << 10
	fileRecheck     = 20 * time.Millisecond
	// maxIncomingFiles bounds the offers from the other side waiting for
	// an answer or being received at once; more are declined as busy.
	maxIncomingFiles = 4
)

// File message types (docs/PROTOCOL.md, section 5).
const (
	fileOffer   = "offer"
	fileAccept  = "accept"
	fileDecline = "decline"
	fileCancel  = "cancel"
	fileDone    = "done"
	fileSaved   = "saved"
)

// Reasons a receiver gives in a decline.
const (
	ReasonDeclined   = "declined"    // the person said no, or stopped receiving
	ReasonTooLarge   = "too-large"   // over MaxFileBytes, or over what the receiver takes
	ReasonBadName    = "bad-name"    // the name breaks the rules of SafeFileName
	ReasonBusy       = "busy"        // too many files at once
	ReasonChecksum   = "checksum"    // the file received does not match its SHA-256
	ReasonBadData    = "bad-data"    // a chunk out of place, or more or less data than offered
	ReasonCannotSave = "cannot-save" // the receiver could not write it
)

// fileMessage is one JSON message on the file channel.
type fileMessage struct {
	Type   string `json:"type"`
	ID     uint32 `json:"id"`
	Name   string `json:"name,omitempty"`
	Size   *int64 `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Why a transfer failed. Transfer.Err returns these, wrapped where more
// detail helps.
var (
	ErrFileDeclined  = errors.New("the other side declined the file")
	ErrFileStopped   = errors.New("the other side stopped the transfer")
	ErrFileCancelled = errors.New("the sender stopped the transfer")
	ErrFileTooLarge  = errors.New("the file is too large: Peercall sends files of up to 4 GiB")
	ErrFileName      = errors.New("the file's name cannot be used")
	ErrFileBusy      = errors.New("the other side is receiving too many files at once: try again when one has finished")
	ErrFileCorrupt   = errors.New("the file arrived damaged and was not kept: try sending it again")
	ErrFileCallEnded = errors.New("the call ended before the file was complete")
	ErrFileNotFile   = errors.New("only a regular file can be sent, not a folder or a device")
	ErrFileChanged   = errors.New("the file changed while it was being sent")
	ErrFileStopByMe  = errors.New("the transfer was stopped")
)

// SafeFileName turns an offered name into one that is safe to save under:
// the last element of any path (split at "/" and "\"), refused (ok false)
// when that is empty, "." or "..", longer than MaxFileNameBytes, not UTF-8,
// or holds control characters.
func SafeFileName(name string) (string, bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." || len(name) > MaxFileNameBytes || !utf8.ValidString(name) {
		return "", false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return name, true
}

// Transfer is one file crossing the call, either way. Its methods are
// safe from any goroutine.
type Transfer struct {
	f        *fileState
	id       uint32
	name     string
	size     int64
	incoming bool
	// The channel the offer went or came on (guarded by f.mu); nil for
	// an offer still waiting for the channel to open.
	dc *webrtc.DataChannel

	bytes    atomic.Int64 // sent, or received and written
	finished chan struct{}
	decided  chan bool // sender: the other side's accept (true) or decline
	ctx      context.Context
	stop     context.CancelFunc

	mu       sync.Mutex
	accepted bool
	started  time.Time // when the offer was accepted
	ended    bool
	err      error
	saved    string // where the file was saved (receiver)
	// Receiver: the temporary file being written, and where it goes.
	tmp       *os.File
	tmpPath   string
	dest      string
	noClobber bool
	hash      hash.Hash
}

// ID is the number the sending side gave the transfer.
func (t *Transfer) ID() uint32 { return t.id }

// Name is the file's name: the one offered (already made safe) when
// receiving, the file's own when sending.
func (t *Transfer) Name() string { return t.name }

// Size is the file's size in bytes.
func (t *Transfer) Size() int64 { return t.size }

// Incoming is true for a file the other side sends.
func (t *Transfer) Incoming() bool { return t.incoming }

// Progress is how many bytes have been sent, or received and written.
func (t *Transfer) Progress() int64 { return t.bytes.Load() }

// Started is when the offer was accepted; zero before.
func (t *Transfer) Started() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started
}

// Done is closed when the transfer has finished, well or not.
func (t *Transfer) Done() <-chan struct{} { return t.finished }

// Err says how the transfer finished, once Done is closed: nil when the
// file was saved on the receiving side.
func (t *Transfer) Err() error {
	<-t.finished
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// SavedAs is where a received file was saved, once Done is closed and Err
// is nil.
func (t *Transfer) SavedAs() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.saved
}

// Accept takes an offered file, to be saved as path; a file already there
// is replaced when the transfer completes. The file is written under a
// temporary name in the same folder until then.
func (t *Transfer) Accept(path string) error { return t.accept(path, false) }

// AcceptInto takes an offered file into the folder dir, under its offered
// name; if a file of that name exists by the end, it is kept and the new
// one is saved as "name (1).ext", "name (2).ext" and so on.
func (t *Transfer) AcceptInto(dir string) error {
	return t.accept(filepath.Join(dir, t.name), true)
}

func (t *Transfer) accept(path string, noClobber bool) error {
	if !t.incoming {
		return ErrWrongStep
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.part")
	if err != nil {
		return fmt.Errorf("rtc: the file cannot be saved in %s: %w", dir, err)
	}
	t.mu.Lock()
	if t.ended || t.accepted {
		t.mu.Unlock()
		tmp.Close()
		os.Remove(tmp.Name())
		if t.accepted {
			return ErrWrongStep
		}
		return t.err
	}
	t.accepted = true
	t.started = time.Now()
	t.tmp, t.tmpPath, t.dest, t.noClobber = tmp, tmp.Name(), path, noClobber
	t.hash = sha256.New()
	t.mu.Unlock()
	if err := t.f.sendJSON(fileMessage{Type: fileAccept, ID: t.id}); err != nil {
		t.fail(ErrFileCallEnded, "")
		return ErrFileCallEnded
	}
	return nil
}

// Decline refuses an offered file, or stops receiving one.
func (t *Transfer) Decline() {
	if t.incoming {
		t.fail(ErrFileStopByMe, ReasonDeclined)
	}
}

// Cancel stops the transfer, either way; the other side is told.
func (t *Transfer) Cancel() {
	if t.incoming {
		t.fail(ErrFileStopByMe, ReasonDeclined)
	} else {
		t.fail(ErrFileStopByMe, fileCancel)
	}
}

// fail ends the transfer with err, unless it has ended. tell, when not
// empty, is what the other side is told: a decline reason from the
// receiver, fileCancel from the sender.
func (t *Transfer) fail(err error, tell string) {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return
	}
	t.ended = true
	t.err = err
	t.discardLocked()
	t.mu.Unlock()
	t.stop()
	t.f.forget(t)
	if tell != "" {
		if t.incoming {
			_ = t.f.sendJSON(fileMessage{Type: fileDecline, ID: t.id, Reason: tell})
		} else {
			_ = t.f.sendJSON(fileMessage{Type: fileCancel, ID: t.id})
		}
	}
	close(t.finished)
}

// discardLocked closes and removes the temporary file. t.mu is held.
func (t *Transfer) discardLocked() {
	if t.tmp != nil {
		t.tmp.Close()
		t.tmp = nil
	}
	if t.tmpPath != "" {
		os.Remove(t.tmpPath)
		t.tmpPath = ""
	}
}

// succeed ends the transfer well.
func (t *Transfer) succeed() {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return
	}
	t.ended = true
	t.mu.Unlock()
	t.stop()
	t.f.forget(t)
	close(t.finished)
}

// fileState is a session's file transfers and its file channel.
type fileState struct {
	s        *Session
	pacer    *filePacer
	delivery fileDelivery // what the peer acknowledged of the chunks sent

	mu       sync.Mutex
	dc       *webrtc.DataChannel
	open     bool
	closed   bool
	nextID   uint32
	out      map[uint32]*Transfer
	in       map[uint32]*Transfer
	queued   []*Transfer // offers made before the channel opened
	offers   chan *Transfer
	low      chan struct{} // the channel drained to fileLowBuffered
	refused  refusals
	initOnce sync.Once
}

func (f *fileState) init(s *Session) {
	f.initOnce.Do(func() {
		f.s = s
		f.out = make(map[uint32]*Transfer)
		f.in = make(map[uint32]*Transfer)
		f.offers = make(chan *Transfer, maxIncomingFiles)
		f.low = make(chan struct{}, 1)
		f.delivery.now = time.Now
		f.pacer = newFilePacer(s.fileEstimate)
		f.pacer.logf = s.log.Debug
	})
}

// files returns the session's file state, made on first use.
func (s *Session) fileState() *fileState {
	s.files.init(s)
	return &s.files
}

// attachFileChannel creates the file channel on a new peer connection.
// Transfers on a connection it replaces fail.
func (s *Session) attachFileChannel(pc *webrtc.PeerConnection) error {
	f := s.fileState()
	negotiated := true
	id := uint16(FileID)
	dc, err := pc.CreateDataChannel(FileLabel, &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
	if err != nil {
		return err
	}
	dc.SetBufferedAmountLowThreshold(fileLowBuffered)
	dc.OnBufferedAmountLow(func() {
		select {
		case f.low <- struct{}{}:
		default:
		}
	})
	dc.OnOpen(func() {
		f.mu.Lock()
		var queued []*Transfer
		if f.dc == dc {
			f.open = true
			queued, f.queued = f.queued, nil
		}
		f.mu.Unlock()
		for _, t := range queued {
			_ = f.offer(t)
		}
	})
	dc.OnClose(func() { f.channelGone(dc) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { f.onMessage(dc, m) })
	f.mu.Lock()
	old := f.dc
	f.dc, f.open = dc, false
	f.mu.Unlock()
	if old != nil {
		f.channelGone(old)
	}
	return nil
}

// channelGone fails the transfers that used the channel that closed; those
// on a channel that replaced it go on.
func (f *fileState) channelGone(dc *webrtc.DataChannel) {
	f.mu.Lock()
	if f.dc == dc {
		f.open = false
	}
	var gone []*Transfer
	for _, t := range f.allLocked() {
		if t.dc == dc {
			gone = append(gone, t)
		}
	}
	f.mu.Unlock()
	for _, t := range gone {
		t.fail(ErrFileCallEnded, "")
	}
}

func (f *fileState) allLocked() []*Transfer {
	all := make([]*Transfer, 0, len(f.in)+len(f.out))
	for _, t := range f.in {
		all = append(all, t)
	}
	for _, t := range f.out {
		all = append(all, t)
	}
	return all
}

// closeFiles fails every transfer when the call ends; no more start.
func (s *Session) closeFiles() {
	f := s.fileState()
	f.mu.Lock()
	f.closed = true
	all := f.allLocked()
	f.mu.Unlock()
	for _, t := range all {
		t.fail(ErrFileCallEnded, "")
	}
}

func (f *fileState) forget(t *Transfer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.out
	if t.incoming {
		m = f.in
	}
	if m[t.id] == t {
		delete(m, t.id)
	}
}

func (f *fileState) channel() *webrtc.DataChannel {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.open || f.closed {
		return nil
	}
	return f.dc
}

func (f *fileState) sendJSON(m fileMessage) error {
	dc := f.channel()
	if dc == nil {
		return ErrFileCallEnded
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return dc.SendText(string(data))
}

func (s *Session) newTransfer(id uint32, name string, size int64, incoming bool) *Transfer {
	ctx, stop := context.WithCancel(s.ctx)
	return &Transfer{f: s.fileState(), id: id, name: name, size: size, incoming: incoming,
		finished: make(chan struct{}), decided: make(chan bool, 1), ctx: ctx, stop: stop}
}

// FileOffers delivers the files the other side offers, each to be
// answered with Accept, AcceptInto or Decline. Offers not taken from it
// wait; past maxIncomingFiles at once, new ones are declined as busy.
func (s *Session) FileOffers() <-chan *Transfer { return s.fileState().offers }

// SendFile offers the file at path to the other side and, once accepted,
// sends it; follow it with the Transfer returned. A file given before the
// call's file channel has opened is offered when it opens.
func (s *Session) SendFile(path string) (*Transfer, error) {
	f := s.fileState()
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		file.Close()
		return nil, ErrFileNotFile
	}
	if info.Size() > MaxFileBytes {
		file.Close()
		return nil, ErrFileTooLarge
	}
	name, ok := SafeFileName(filepath.Base(path))
	if !ok {
		file.Close()
		return nil, ErrFileName
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		file.Close()
		return nil, ErrFileCallEnded
	}
	f.nextID++
	t := s.newTransfer(f.nextID, name, info.Size(), false)
	f.out[t.id] = t
	open := f.open
	if !open {
		// Offered when the channel opens.
		f.queued = append(f.queued, t)
	}
	f.mu.Unlock()
	if open {
		if err := f.offer(t); err != nil {
			file.Close()
			return nil, err
		}
	}
	s.goRun(func() { f.send(t, file) })
	return t, nil
}

// offer sends t's offer.
func (f *fileState) offer(t *Transfer) error {
	size := t.size
	f.mu.Lock()
	t.dc = f.dc
	f.mu.Unlock()
	if err := f.sendJSON(fileMessage{Type: fileOffer, ID: t.id, Name: t.name, Size: &size}); err != nil {
		t.fail(ErrFileCallEnded, "")
		return ErrFileCallEnded
	}
	return nil
}

// send streams an accepted file: paced chunks, then "done" with the
// file's SHA-256; the transfer ends on the other side's "saved".
func (f *fileState) send(t *Transfer, file *os.File) {
	defer file.Close()
	select {
	case ok := <-t.decided:
		if !ok {
			return
		}
	case <-t.ctx.Done():
		return
	}
	h := sha256.New()
	buf := make([]byte, fileChunkHeader+fileChunkData)
	var off int64
	for off < t.size {
		n := int(min(int64(f.pacer.chunkSize()), t.size-off))
		if _, err := io.ReadFull(file, buf[fileChunkHeader:fileChunkHeader+n]); err != nil {
			t.fail(fmt.Errorf("%w: %v", ErrFileChanged, err), fileCancel)
			return
		}
		h.Write(buf[fileChunkHeader : fileChunkHeader+n])
		binary.BigEndian.PutUint32(buf[0:4], t.id)
		binary.BigEndian.PutUint64(buf[4:12], uint64(off))
		dc, err := f.waitRoom(t.ctx, fileChunkHeader+n)
		if err != nil {
			return // the transfer ended meanwhile
		}
		if err := dc.Send(buf[:fileChunkHeader+n]); err != nil {
			t.fail(ErrFileCallEnded, "")
			return
		}
		f.delivery.gave(dc, fileChunkHeader+n)
		off += int64(n)
		t.bytes.Store(off)
	}
	if n, _ := file.Read(buf[:1]); n > 0 {
		t.fail(ErrFileChanged, fileCancel)
		return
	}
	if err := f.sendJSON(fileMessage{Type: fileDone, ID: t.id, SHA256: hex.EncodeToString(h.Sum(nil))}); err != nil {
		t.fail(ErrFileCallEnded, "")
	}
	// "saved" or a decline finishes it (onMessage).
}

// waitRoom waits until the channel holds less than a tenth of a second
// at the pace (bufferBound) and the pacer allows n more bytes, and returns
// the channel to send on.
func (f *fileState) waitRoom(ctx context.Context, n int) (*webrtc.DataChannel, error) {
	for {
		dc := f.channel()
		if dc == nil {
			return nil, ErrFileCallEnded
		}
		if dc.BufferedAmount() <= bufferBound(f.pacer.Rate()) {
			if err := f.pacer.wait(ctx, n); err != nil {
				return nil, err
			}
			return dc, nil
		}
		t := time.NewTimer(fileRecheck)
		select {
		case <-f.low:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}

// bufferBound is how much the sender leaves waiting in the channel at a
// pace of rateBps.
func bufferBound(rateBps float64) uint64 {
	b := uint64(rateBps / 8 * fileBufferFor.Seconds())
	return min(max(b, fileMinBuffered), fileMaxBuffered)
}

// onMessage reads one message of the file channel, on pion's goroutine
// (the channel's messages arrive one after another, in order).
func (f *fileState) onMessage(dc *webrtc.DataChannel, m webrtc.DataChannelMessage) {
	f.mu.Lock()
	current := f.dc == dc && !f.closed
	f.mu.Unlock()
	if !current {
		return
	}
	if !m.IsString {
		f.onChunk(m.Data)
		return
	}
	if err := tooLarge(m.Data, maxFileMessageBytes); err != nil {
		f.refused.note(f.s.log, FileLabel, err, len(m.Data))
		return
	}
	var msg fileMessage
	if err := json.Unmarshal(m.Data, &msg); err != nil {
		f.refused.note(f.s.log, FileLabel, fmt.Errorf("%w: %v", errUnreadable, err), len(m.Data))
		return
	}
	switch msg.Type {
	case fileOffer:
		f.onOffer(dc, msg)
	case fileAccept, fileDecline, fileSaved:
		f.mu.Lock()
		t := f.out[msg.ID]
		f.mu.Unlock()
		if t != nil {
			t.answer(msg)
		}
	case fileCancel, fileDone:
		f.mu.Lock()
		t := f.in[msg.ID]
		f.mu.Unlock()
		if t == nil {
			return
		}
		if msg.Type == fileCancel {
			t.fail(ErrFileCancelled, "")
		} else {
			t.complete(msg.SHA256)
		}
	default:
		f.s.log.Debug("unknown file message", "type", msg.Type)
	}
}

// onOffer takes an offer from the other side, or declines it.
func (f *fileState) onOffer(dc *webrtc.DataChannel, msg fileMessage) {
	decline := func(reason string) {
		f.s.log.Info("file offer declined", "name", msg.Name, "reason", reason)
		_ = f.sendJSON(fileMessage{Type: fileDecline, ID: msg.ID, Reason: reason})
	}
	if msg.Size == nil || *msg.Size < 0 {
		decline(ReasonBadData)
		return
	}
	if *msg.Size > MaxFileBytes {
		decline(ReasonTooLarge)
		return
	}
	name, ok := SafeFileName(msg.Name)
	if !ok {
		decline(ReasonBadName)
		return
	}
	f.mu.Lock()
	if f.in[msg.ID] != nil || len(f.in) >= maxIncomingFiles {
		f.mu.Unlock()
		decline(ReasonBusy)
		return
	}
	t := f.s.newTransfer(msg.ID, name, *msg.Size, true)
	t.dc = dc
	f.in[msg.ID] = t
	f.mu.Unlock()
	select {
	case f.offers <- t:
	default:
		t.fail(ErrFileBusy, ReasonBusy)
	}
}

// answer takes the receiver's accept, decline or saved for a file this
// side offered.
func (t *Transfer) answer(msg fileMessage) {
	switch msg.Type {
	case fileAccept:
		t.mu.Lock()
		t.accepted = true
		t.started = time.Now()
		t.mu.Unlock()
		select {
		case t.decided <- true:
		default:
		}
	case fileSaved:
		if t.bytes.Load() == t.size {
			t.succeed()
		}
	case fileDecline:
		t.mu.Lock()
		started := t.accepted
		t.mu.Unlock()
		var err error
		switch {
		case msg.Reason == ReasonTooLarge:
			err = ErrFileTooLarge
		case msg.Reason == ReasonBadName:
			err = ErrFileName
		case msg.Reason == ReasonBusy:
			err = ErrFileBusy
		case msg.Reason == ReasonChecksum:
			err = ErrFileCorrupt
		case started:
			err = ErrFileStopped
		default:
			err = ErrFileDeclined
		}
		if msg.Reason != "" && msg.Reason != ReasonDeclined {
			err = fmt.Errorf("%w (%s)", err, msg.Reason)
		}
		t.fail(err, "")
	}
}

// onChunk writes one chunk of a file being received.
func (f *fileState) onChunk(data []byte) {
	if len(data) < fileChunkHeader {
		f.refused.note(f.s.log, FileLabel, fmt.Errorf("%w: a chunk of %d bytes", errUnreadable, len(data)), len(data))
		return
	}
	id := binary.BigEndian.Uint32(data[0:4])
	off := binary.BigEndian.Uint64(data[4:12])
	f.mu.Lock()
	t := f.in[id]
	f.mu.Unlock()
	if t == nil {
		return // a transfer that ended: its last chunks were on their way
	}
	payload := data[fileChunkHeader:]
	t.mu.Lock()
	if t.tmp == nil || t.ended {
		t.mu.Unlock()
		if !t.accepted {
			t.fail(fmt.Errorf("%w: data before the offer was accepted", ErrFileCorrupt), ReasonBadData)
		}
		return
	}
	got := t.bytes.Load()
	if off != uint64(got) || got+int64(len(payload)) > t.size {
		t.mu.Unlock()
		t.fail(fmt.Errorf("%w: a chunk at %d of %d bytes, %d received", ErrFileCorrupt, off, len(payload), got), ReasonBadData)
		return
	}
	_, err := t.tmp.Write(payload)
	if err == nil {
		t.hash.Write(payload)
		t.bytes.Store(got + int64(len(payload)))
	}
	t.mu.Unlock()
	if err != nil {
		f.s.log.Warn("writing a received file", "err", err)
		t.fail(fmt.Errorf("rtc: the file could not be written: %w", err), ReasonCannotSave)
	}
}

// complete checks a received file against the sender's SHA-256, syncs it
// and moves it to its final name, then tells the sender. It runs off
// pion's goroutine; the call's end meanwhile removes the temporary.
func (t *Transfer) complete(sum string) {
	t.mu.Lock()
	ok := t.tmp != nil && !t.ended && t.bytes.Load() == t.size
	t.mu.Unlock()
	if !ok {
		t.fail(fmt.Errorf("%w: the sender finished after %d of %d bytes", ErrFileCorrupt, t.bytes.Load(), t.size), ReasonBadData)
		return
	}
	t.f.s.goRun(func() {
		t.mu.Lock()
		if t.ended {
			t.mu.Unlock()
			return
		}
		reason, err := t.finishLocked(sum)
		t.mu.Unlock()
		if err != nil {
			t.fail(err, reason)
			return
		}
		_ = t.f.sendJSON(fileMessage{Type: fileSaved, ID: t.id})
		t.succeed()
	})
}

// finishLocked does complete's work with t.mu held: the temporary file is
// gone whatever happens, renamed or removed.
func (t *Transfer) finishLocked(sum string) (reason string, err error) {
	if got := hex.EncodeToString(t.hash.Sum(nil)); !strings.EqualFold(got, sum) {
		return ReasonChecksum, fmt.Errorf("%w: SHA-256 %s, the sender's %s", ErrFileCorrupt, got, sum)
	}
	if err := t.tmp.Sync(); err != nil {
		return ReasonCannotSave, fmt.Errorf("rtc: the file could not be written: %w", err)
	}
	if err := t.tmp.Close(); err != nil {
		t.tmp = nil
		return ReasonCannotSave, fmt.Errorf("rtc: the file could not be written: %w", err)
	}
	t.tmp = nil
	dest, err := t.place()
	if err != nil {
		return ReasonCannotSave, fmt.Errorf("rtc: the file could not be saved: %w", err)
	}
	t.tmpPath = ""
	t.saved = dest
	if d, err := os.Open(filepath.Dir(dest)); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		d.Close()
	}
	return "", nil
}

// place moves the temporary file to its final name and returns it.
func (t *Transfer) place() (string, error) {
	if !t.noClobber {
		return t.dest, os.Rename(t.tmpPath, t.dest)
	}
	dir, base := filepath.Split(t.dest)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 0; i < 1000; i++ {
		cand := t.dest
		if i > 0 {
			cand = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", stem, i, ext))
		}
		// A hard link never replaces a file; then the temporary goes.
		err := os.Link(t.tmpPath, cand)
		if err == nil {
			os.Remove(t.tmpPath)
			return cand, nil
		}
		if errors.Is(err, os.ErrExist) {
			continue
		}
		// A file system without hard links: check, then rename.
		if _, serr := os.Lstat(cand); serr == nil {
			continue
		}
		return cand, os.Rename(t.tmpPath, cand)
	}
	return "", errors.New("no free name")
}
