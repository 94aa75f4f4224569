package wire

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// signature identifies a finding for deduplication: its kind and the shape
// of its minimised stream. Two cases that minimise to packets of the same
// version, action, Info and argument count, cut at the same place, are
// taken to be one defect even if their IDs, lengths or payload bytes
// differ: a --keep-going run against a server that crashes on one class of
// input then writes that class once.
func signature(kind string, stream []byte) string {
	return kind + " " + shape(stream)
}

// shape describes each frame of a stream (frames cuts it where the headers
// say): "v1/KEEP/i255/a13" for a header with its separator and payload,
// with "/nosep" when the separator is missing, "/badsep" when it is not
// CRLF, "/cut" when the payload is shorter than Len, and "NB" for a tail
// of N bytes too short for a header.
func shape(stream []byte) string {
	var parts []string
	for _, f := range frames(stream) {
		if len(f) < spec.HeaderSize {
			parts = append(parts, fmt.Sprintf("%dB", len(f)))
			continue
		}
		h := spec.ParseHeader(f)
		s := fmt.Sprintf("v%d/%v/i%d/a%d", h.Version, h.Action, h.Info, h.Args)
		switch {
		case len(f) < unitSize:
			s += "/nosep"
		case f[spec.HeaderSize] != '\r' || f[spec.HeaderSize+1] != '\n':
			s += "/badsep"
		}
		if len(f) >= unitSize && len(f)-unitSize < int(h.Len) {
			s += "/cut"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, " ")
}

// knownStream returns a finding of the same kind whose minimised bytes
// occur in stream: the case very likely repeats it, and is not minimised
// again; streams shorter than a header match too much to tell (minimising costs up to MaxMinimizeRuns attempts, each perhaps a
// server restart).
func knownStream(fs []*Finding, kind string, stream []byte) *Finding {
	for _, fd := range fs {
		if fd.Kind == kind && len(fd.Stream) >= spec.HeaderSize && bytes.Contains(stream, fd.Stream) {
			return fd
		}
	}
	return nil
}
