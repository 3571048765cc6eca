package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"peercall/rtc"
)

// Files in a headless call: --send-file sends one file once the call has
// connected; --accept-files saves every file the other side offers into a
// folder (without it, offers are declined). Progress and results are log
// lines on stderr; stdout still carries codes only.

func registerFileFlags(fs *flag.FlagSet, f *callFlags) {
	fs.StringVar(&f.sendFile, "send-file", "", "send this file to the other side once the call has connected")
	fs.StringVar(&f.acceptFiles, "accept-files", "", "save files the other side sends into this folder (without it, they are declined)")
}

// checkFileFlags refuses a file that cannot be sent and a folder that does
// not exist before the call starts.
func (f *callFlags) checkFileFlags() error {
	if f.sendFile != "" {
		info, err := os.Stat(f.sendFile)
		switch {
		case err != nil:
			return fmt.Errorf("--send-file: %v", err)
		case !info.Mode().IsRegular():
			return fmt.Errorf("--send-file %q: %v", f.sendFile, rtc.ErrFileNotFile)
		case info.Size() > rtc.MaxFileBytes:
			return fmt.Errorf("--send-file %q: %v", f.sendFile, rtc.ErrFileTooLarge)
		}
	}
	if f.acceptFiles != "" {
		info, err := os.Stat(f.acceptFiles)
		if err != nil {
			return fmt.Errorf("--accept-files: %v", err)
		}
		if !info.IsDir() {
			return fmt.Errorf("--accept-files %q: not a folder", f.acceptFiles)
		}
	}
	return nil
}

// fileProgressEvery is how often a transfer under way writes a line.
const fileProgressEvery = time.Second

// startFiles answers the other side's offers and sends --send-file, once
// per run of the command (a resumed call does not send it again).
func (s *session) startFiles() {
	if s.filesStarted {
		return
	}
	s.filesStarted = true
	go s.answerOffers()
	if s.flags.sendFile != "" {
		go s.sendFile(s.flags.sendFile)
	}
}

// answerOffers accepts (--accept-files) or declines every offer until
// the call ends.
func (s *session) answerOffers() {
	for {
		select {
		case <-s.sess.Done():
			return
		case t := <-s.sess.FileOffers():
			if s.flags.acceptFiles == "" {
				s.log.Info("file declined: run with --accept-files DIR to accept files", "name", t.Name(), "bytes", t.Size())
				t.Decline()
				continue
			}
			if err := t.AcceptInto(s.flags.acceptFiles); err != nil {
				s.log.Warn("file declined: it cannot be saved", "name", t.Name(), "err", err)
				t.Decline()
				continue
			}
			s.log.Info("file receiving", "name", t.Name(), "bytes", t.Size(), "into", s.flags.acceptFiles)
			go s.follow(t)
		}
	}
}

// sendFile offers path and follows its transfer.
func (s *session) sendFile(path string) {
	t, err := s.sess.SendFile(path)
	if err != nil {
		s.log.Warn("file not sent", "file", path, "err", err)
		return
	}
	s.log.Info("file offered", "name", t.Name(), "bytes", t.Size())
	s.follow(t)
}

// follow writes a line a second while t runs, and one when it ends.
func (s *session) follow(t *rtc.Transfer) {
	tick := time.NewTicker(fileProgressEvery)
	defer tick.Stop()
	dir := "sent"
	if t.Incoming() {
		dir = "received"
	}
	for {
		select {
		case <-tick.C:
			n := t.Progress()
			if t.Started().IsZero() {
				continue // waiting for an answer
			}
			s.log.Info("file progress", "name", t.Name(), dir, n, "bytes", t.Size(), "percent", percent(n, t.Size()))
		case <-t.Done():
			if err := t.Err(); err != nil {
				s.log.Warn("file not "+dir, "name", t.Name(), dir, t.Progress(), "bytes", t.Size(), "err", err)
				return
			}
			attrs := []any{"name", t.Name(), "bytes", t.Size()}
			if started := t.Started(); !started.IsZero() {
				secs := time.Since(started).Seconds()
				attrs = append(attrs, "seconds", fmt.Sprintf("%.2f", secs))
				if secs > 0 {
					attrs = append(attrs, "mbit_s", fmt.Sprintf("%.1f", float64(t.Size())*8/secs/1e6))
				}
			}
			if t.Incoming() {
				attrs = append(attrs, "path", t.SavedAs())
				if sum, err := fileSHA256(t.SavedAs()); err == nil {
					attrs = append(attrs, "sha256", sum)
				}
			}
			s.log.Info("file "+dir, attrs...)
			return
		}
	}
}

func percent(n, size int64) string {
	if size <= 0 {
		return "100"
	}
	return fmt.Sprintf("%.0f", 100*float64(n)/float64(size))
}

// fileSHA256 is the SHA-256 of a file, in hex.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
