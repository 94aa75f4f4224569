package core

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/gochatproto/gochat/spec"
)

// The two dialects (E-12) differ only in how keys and timestamps are
// encoded, so a client configured with the wrong one gets through HELLO,
// REG (the reference server takes either key encoding), LOGIN and VERIF
// before anything fails. What fails first is costly: MSG is refused, and a
// catch-up RECIV the client cannot split closes the connection after the
// server has already forgotten the message. So the client learns the
// server's dialect from the first reply that carries a key, which it
// provokes itself (REQ of its own name right after login, before any
// catch-up), and switches before anything depends on it (E-53).

// other returns the dialect that is not d.
func other(d spec.Dialect) spec.Dialect {
	if d == spec.DialectGochat1 {
		return spec.DialectSpec
	}
	return spec.DialectGochat1
}

// keyDialect tells the dialect of an encoded public key: DER starts with a
// SEQUENCE tag, PEM with its armour line.
func keyDialect(key []byte) (spec.Dialect, bool) {
	switch {
	case len(key) > 0 && key[0] == 0x30:
		return spec.DialectSpec, true
	case bytes.HasPrefix(key, []byte("-----BEGIN ")):
		return spec.DialectGochat1, true
	}
	return 0, false
}

// ServerDialect returns the server's dialect once a reply has shown it.
func (c *Client) ServerDialect() (spec.Dialect, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen, c.settled.Load()
}

// learnDialect records the server's dialect d, the first time only, and
// switches to it when allowed. It runs on the reader goroutine, or on a
// caller's before the session can receive pushes (Register), so the next
// packet read already uses the new dialect.
func (c *Client) learnDialect(d spec.Dialect, evidence string) {
	c.mu.Lock()
	if c.settled.Load() {
		c.mu.Unlock()
		return
	}
	c.seen = d
	c.settled.Store(true)
	c.mu.Unlock()
	switched := d != c.Dialect() && c.cfg.DetectDialect
	c.log.Debug("server dialect", "dialect", d, "switched", switched, "evidence", evidence)
	if switched {
		c.dialect.Store(uint32(d))
		c.events.push(DialectSwitched{Dialect: d, Evidence: evidence})
	}
}

// senseDialect looks at a reply: the key of a REQ reply gives the
// server's dialect away.
func (c *Client) senseDialect(p *spec.Packet) {
	if c.settled.Load() || p.Action != spec.REQ || len(p.Args) < 2 {
		return
	}
	if d, ok := keyDialect(p.Args[1]); ok {
		c.learnDialect(d, "its REQ reply carried a "+keyEncoding(d)+" key")
	}
}

func keyEncoding(d spec.Dialect) string {
	if d == spec.DialectGochat1 {
		return "PEM"
	}
	return "DER"
}

// splitInOtherDialect handles a packet the decoder could not split. While
// the server's dialect is unknown, a REQ reply or a pushed RECIV that the
// other dialect splits (and whose timestamp or key then parses) reveals the
// dialect: the client switches and p receives the packet. It reports
// whether it did.
func (c *Client) splitInOtherDialect(dec *spec.Decoder, err error, p *spec.Packet) bool {
	var pe *spec.ProtocolError
	payload := dec.LastPayload()
	if !c.cfg.DetectDialect || c.settled.Load() || !errors.As(err, &pe) || payload == nil {
		return false
	}
	h := dec.LastHeader()
	reciv := h.Action == spec.RECIV && h.ID == spec.NullID
	if !reciv && (h.Action != spec.REQ || h.ID == spec.NullID) {
		return false
	}
	alt := other(c.Dialect())
	s, ok := spec.SchemaFor(spec.ClientBound, h.Action, h.Info)
	if !ok {
		return false
	}
	args, serr := spec.SplitArgs(nil, payload, int(h.Args), s, alt)
	if serr != nil {
		return false
	}
	if reciv {
		if _, terr := alt.ParseTimestamp(args[1]); terr != nil {
			return false
		}
	} else if d, ok := keyDialect(args[1]); !ok || d != alt {
		return false
	}
	p.Action, p.Info, p.ID = h.Action, h.Info, h.ID
	p.Args = make([][]byte, len(args))
	for i, a := range args {
		p.Args[i] = bytes.Clone(a)
	}
	what := "a RECIV"
	if !reciv {
		what = "a REQ reply"
	}
	c.learnDialect(alt, what+" split only in "+alt.String())
	return true
}

// undecodable turns a RECIV the decoder rejected after reading all of it
// into an event carrying the packet's bytes.
func undecodable(dec *spec.Decoder, err error) (Undecodable, bool) {
	var pe *spec.ProtocolError
	h, payload := dec.LastHeader(), dec.LastPayload()
	if !errors.As(err, &pe) || payload == nil || h.Action != spec.RECIV {
		return Undecodable{}, false
	}
	hb := h.Bytes()
	sep := dec.LastSeparator()
	raw := make([]byte, 0, len(hb)+2+len(payload))
	raw = append(append(append(raw, hb[:]...), sep[:]...), payload...)
	return Undecodable{Raw: raw, Err: err}, true
}

// DecodeRECIV decodes a kept RECIV packet (Undecodable.Raw) in dialect d
// and decrypts it with priv. It is how a packet kept while the dialect was
// unknown becomes a message again.
func DecodeRECIV(raw []byte, d spec.Dialect, priv *rsa.PrivateKey) (Message, error) {
	m, err := parseRECIV(raw, d)
	if err != nil {
		return m, err
	}
	pt, err := spec.Decrypt(priv, m.Ciphertext)
	if err != nil {
		return m, err
	}
	m.Text = string(pt)
	return m, nil
}

// parseRECIV reads exactly one pushed RECIV from raw: sender, stamp and
// ciphertext.
func parseRECIV(raw []byte, d spec.Dialect) (Message, error) {
	dec := spec.NewDecoder(bytes.NewReader(raw), spec.ClientBound, d)
	var p spec.Packet
	if err := dec.ReadPacket(&p); err != nil {
		return Message{}, err
	}
	if p.Action != spec.RECIV || p.ID != spec.NullID {
		return Message{}, fmt.Errorf("%w: %s is not a pushed RECIV", ErrUnexpectedReply, p.Action)
	}
	if dec.Buffered() != 0 {
		return Message{}, fmt.Errorf("%w: %d bytes after the packet", ErrUnexpectedReply, dec.Buffered())
	}
	m := Message{From: string(p.Args[0]), Ciphertext: bytes.Clone(p.Args[2])}
	var err error
	m.Stamp, err = d.ParseTimestamp(p.Args[1])
	return m, err
}

// EncodeRECIV rebuilds the packet of a received message in dialect d, to
// keep a message whose text could not be recovered (DecryptErr).
func EncodeRECIV(m Message, d spec.Dialect) ([]byte, error) {
	return spec.MarshalPacket(spec.NewPacket(spec.RECIV, spec.NullID,
		[]byte(m.From), d.AppendTimestamp(nil, m.Stamp), m.Ciphertext), d)
}
