package scenario

import (
	"time"

	"github.com/goccy/go-yaml/ast"
)

// UnmarshalYAML implements yaml.NodeUnmarshaler: a step is a mapping with
// exactly one key naming its kind.
func (s *Step) UnmarshalYAML(n ast.Node) error {
	s.Pos.Line, s.Pos.Col = nodePos(n)
	kind, val, err := singleKey(n, "step")
	if err != nil {
		return err
	}
	return s.decodeKind(n, kind, val)
}

// decodeKind decodes the value val of a step of the given kind (n is the
// whole step, for errors). Client steps use it for the kinds they share.
func (s *Step) decodeKind(n ast.Node, kind string, val ast.Node) error {
	switch kind {
	case "connect":
		s.Connect = new(Connect)
		if name, ok := scalar(val); ok {
			s.Connect.Conn, s.Connect.Actor = name, name
			return nil
		}
		return strict(val, s.Connect)
	case "register", "login":
		a := new(Auth)
		if name, ok := scalar(val); ok {
			a.Actor = name
		} else if err := strict(val, a); err != nil {
			return err
		}
		if kind == "register" {
			s.Register = a
		} else {
			s.Login = a
		}
		return nil
	case "send":
		s.Send = new(Send)
		return strict(val, s.Send)
	case "send_raw":
		s.SendRaw = new(SendRaw)
		return strict(val, s.SendRaw)
	case "expect":
		s.Expect = new(Expect)
		return decodeExpect(val, s.Expect)
	case "expect_any_order":
		return s.decodeAnyOrder(val)
	case "expect_none":
		s.ExpectNone = new(ExpectNone)
		return strict(val, s.ExpectNone)
	case "expect_close":
		s.ExpectClose = new(ExpectClose)
		if c, ok := scalar(val); ok {
			s.ExpectClose.Conn = c
			return nil
		}
		return strict(val, s.ExpectClose)
	case "sleep":
		if err := strict(val, &s.Sleep); err != nil {
			return err
		}
		if s.Sleep <= 0 || s.Sleep > time.Minute {
			return errAt(val, "sleep must be between 0 and 1m")
		}
		return nil
	case "decrypt":
		s.Decrypt = new(Decrypt)
		return strict(val, s.Decrypt)
	case "disconnect":
		c, ok := scalar(val)
		if !ok || c == "" {
			return errAt(val, "disconnect: want a connection name")
		}
		s.Disconnect = c
		return nil
	case "set":
		s.Set = new(Set)
		return strict(val, s.Set)
	case "stop_reading":
		c, ok := scalar(val)
		if !ok || c == "" {
			return errAt(val, "stop_reading: want a connection name")
		}
		s.StopReading = c
		return nil
	}
	return errAt(n, "unknown step %q (want connect, register, login, send, send_raw, expect, "+
		"expect_any_order, expect_none, expect_close, sleep, decrypt, disconnect, set, stop_reading)", kind)
}

func (s *Step) decodeAnyOrder(val ast.Node) error {
	seq, ok := val.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		return errAt(val, "expect_any_order: want a non-empty list of expectations")
	}
	for _, item := range seq.Values {
		e := new(Expect)
		if err := decodeExpect(item, e); err != nil {
			return err
		}
		s.ExpectAnyOrder = append(s.ExpectAnyOrder, e)
	}
	return nil
}

func decodeExpect(n ast.Node, e *Expect) error {
	if err := strict(n, e); err != nil {
		return err
	}
	e.Pos.Line, e.Pos.Col = nodePos(n)
	if e.Action == "" {
		return errAt(n, "expect: action is required")
	}
	return nil
}
