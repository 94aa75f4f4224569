package corpus

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// The corpus files are generated from the table below so that every byte
// is computed by spec.Header rather than typed by hand:
//
//	go test ./fuzz/corpus -run TestCorpusUpToDate -update
var update = flag.Bool("update", false, "rewrite the *.case files from the generator table")

type genCase struct {
	name, desc, reqs string
	before           Precondition
	dialect          string
	code             string
	writes           [][]byte
}

var crlf = []byte("\r\n")

// hdr is a header with legal defaults for the fields not given.
func hdr(a spec.Action, info uint8, args int, n int, id uint16) spec.Header {
	return spec.Header{Version: 1, Action: a, Info: info, Args: uint8(args), Len: uint16(n), ID: id, Reserved: 0xFFFF}
}

// payload joins args, each followed by CRLF.
func payload(args ...[]byte) []byte {
	var b []byte
	for _, a := range args {
		b = append(append(b, a...), crlf...)
	}
	return b
}

// frame writes h, the separator sep and the payload p verbatim.
func frame(h spec.Header, sep, p []byte) []byte {
	hb := h.Bytes()
	return append(append(hb[:], sep...), p...)
}

// pkt is a well-formed frame (Args and Len computed) with Info and ID given.
func pkt(a spec.Action, info uint8, id uint16, args ...[]byte) []byte {
	p := payload(args...)
	return frame(hdr(a, info, len(args), len(p), id), crlf, p)
}

// withHdr is pkt with a header mutation.
func withHdr(a spec.Action, info uint8, id uint16, mut func(*spec.Header), args ...[]byte) []byte {
	p := payload(args...)
	h := hdr(a, info, len(args), len(p), id)
	mut(&h)
	return frame(h, crlf, p)
}

func one(b ...[]byte) [][]byte { return [][]byte{bytes.Join(b, nil)} }

const ff = spec.EmptyInfo

var (
	alice  = []byte("alice")
	nobody = []byte("nobody")
	stamp  = []byte{0x65, 0x00, 0x00, 0x00} // spec dialect, 2023
	// ctCRLF is an opaque ciphertext stand-in with CRLF inside and at its end.
	ctCRLF = append(append(bytes.Repeat([]byte{0x5a}, 200), 0x0d, 0x0a), append(bytes.Repeat([]byte{0x33}, 309), 0x0d, 0x0a)...)
)

func fill(n int) []byte { return bytes.Repeat([]byte("a"), n) }

func genCases() []genCase {
	keep := pkt(spec.KEEP, ff, 1)
	var cs []genCase
	add := func(c genCase) { cs = append(cs, c) }

	// E-7 / FRAME-2: version.
	for _, v := range []uint8{0, 2, 15} {
		add(genCase{name: fmt.Sprintf("n_version_%d", v), desc: fmt.Sprintf("KEEP with version %d.", v),
			reqs: "FRAME-2 CONN-6 CONN-8", code: "ERR_VERSION",
			writes: one(withHdr(spec.KEEP, ff, 1, func(h *spec.Header) { h.Version = v }))})
	}
	// FRAME-12: null and unknown actions.
	for _, a := range []spec.Action{0x00, 0x13, 0xFF} {
		n := fmt.Sprintf("n_action_0x%02x", uint8(a))
		if a == 0 {
			n = "n_action_null"
		}
		add(genCase{name: n, desc: fmt.Sprintf("Action 0x%02X without arguments.", uint8(a)),
			reqs: "FRAME-12 CONN-6 CONN-9", code: "ERR_HEADER", writes: one(pkt(a, ff, 1))})
	}
	// E-10: server-only actions, each in the shape the server would send.
	add(genCase{name: "n_client_sends_ok", desc: "A client sends OK.", reqs: "FRAME-20 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.OK, ff, 1))})
	add(genCase{name: "n_client_sends_err", desc: "A client sends ERR (Info ERR_ARGS).", reqs: "FRAME-20 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.ERR, 0x05, 1))})
	add(genCase{name: "n_client_sends_hello", desc: "A client sends HELLO with a MOTD.", reqs: "FRAME-20 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.HELLO, ff, 1, []byte("hi")))})
	add(genCase{name: "n_client_sends_hook", desc: "A client sends HOOK NEWLOGOUT.", reqs: "FRAME-20 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.HOOK, 0x02, 1, alice))})
	add(genCase{name: "n_client_sends_shtdwn", desc: "A client sends SHTDWN with a timestamp.", reqs: "FRAME-20 CONN-6 CONN-9",
		code: "ERR_HEADER", dialect: "spec", writes: one(pkt(spec.SHTDWN, ff, 1, stamp))})
	// E-11: ID 0.
	add(genCase{name: "n_id_0_keep", desc: "KEEP with ID 0.", reqs: "FRAME-16 CONN-6 CONN-9", code: "ERR_HEADER",
		writes: one(pkt(spec.KEEP, ff, 0))})
	add(genCase{name: "n_id_0_req", desc: "REQ with ID 0 after login.", reqs: "FRAME-16 CONN-6 CONN-9", code: "ERR_HEADER",
		before: BeforeLogin, writes: one(pkt(spec.REQ, ff, 0, nobody))})
	// E-9: Info.
	add(genCase{name: "n_info_on_keep", desc: "KEEP with Info 0x00.", reqs: "FRAME-15 KEEP-4 CONN-6 CONN-9", code: "ERR_HEADER",
		writes: one(pkt(spec.KEEP, 0x00, 1))})
	add(genCase{name: "n_info_on_login", desc: "LOGIN with Info 0x01.", reqs: "FRAME-15 CONN-6 CONN-9", code: "ERR_HEADER",
		writes: one(pkt(spec.LOGIN, 0x01, 1, alice))})
	add(genCase{name: "n_info_on_req", desc: "REQ with Info 0x00 after login.", reqs: "FRAME-15 CONN-6 CONN-9", code: "ERR_HEADER",
		before: BeforeLogin, writes: one(pkt(spec.REQ, 0x00, 1, nobody))})
	for _, a := range []spec.Action{spec.USRS, spec.SUB, spec.UNSUB} {
		add(genCase{name: "n_no_info_" + strings.ToLower(a.String()), desc: a.String() + " with Info 0xFF after login.",
			reqs: "FRAME-15 CONN-6 CONN-9", code: "ERR_HEADER", before: BeforeLogin, writes: one(pkt(a, ff, 1))})
	}
	add(genCase{name: "n_no_info_admin", desc: "ADMIN with Info 0xFF and one argument after login.",
		reqs: "FRAME-15 CONN-6 CONN-9", code: "ERR_HEADER", before: BeforeLogin, writes: one(pkt(spec.ADMIN, ff, 1, nobody))})
	// E-8: argument counts outside the schema (Len consistent).
	add(genCase{name: "n_args_above_max_keep", desc: "KEEP with one argument.", reqs: "ARG-7 KEEP-4 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.KEEP, ff, 1, []byte("x")))})
	add(genCase{name: "n_args_above_max_keep_13", desc: "KEEP with 13 one-byte arguments.", reqs: "ARG-7 KEEP-4 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.KEEP, ff, 1, bytes.Split([]byte("abcdefghijklm"), nil)...))})
	add(genCase{name: "n_args_above_max_req", desc: "REQ with two usernames.", reqs: "ARG-7 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.REQ, ff, 1, alice, nobody))})
	add(genCase{name: "n_args_above_max_login", desc: "LOGIN with three arguments.", reqs: "ARG-7 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.LOGIN, ff, 1, alice, []byte("t"), []byte("u")))})
	add(genCase{name: "n_args_below_min_reg", desc: "REG with a username and no key.", reqs: "ARG-7 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.REG, ff, 1, alice))})
	add(genCase{name: "n_args_below_min_verif", desc: "VERIF with a username only.", reqs: "ARG-7 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(pkt(spec.VERIF, ff, 1, alice))})
	add(genCase{name: "n_args_below_min_msg", desc: "MSG with two arguments after login.", reqs: "ARG-7 CONN-6 CONN-9",
		code: "ERR_HEADER", before: BeforeLogin, dialect: "spec", writes: one(pkt(spec.MSG, ff, 1, nobody, stamp))})
	add(genCase{name: "n_args_below_min_req", desc: "REQ without arguments after login.", reqs: "ARG-7 CONN-6 CONN-9",
		code: "ERR_HEADER", before: BeforeLogin, writes: one(pkt(spec.REQ, ff, 1))})
	// E-2 / FRAME-10: Args and Len that cannot agree.
	add(genCase{name: "n_args_1_len_0", desc: "LOGIN with Args 1 and Len 0, then a KEEP that must not be taken as its payload.",
		reqs: "FRAME-10 CONN-6 CONN-9", code: "ERR_HEADER",
		writes: one(frame(hdr(spec.LOGIN, ff, 1, 0, 1), crlf, nil), keep)})
	add(genCase{name: "n_args_0_len_5", desc: "KEEP with Args 0 and Len 5, payload present.", reqs: "FRAME-10 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(frame(hdr(spec.KEEP, ff, 0, 5, 1), crlf, []byte("abc\r\n")))})
	add(genCase{name: "n_len_below_2x_args", desc: "LOGIN with Args 2 and Len 3.", reqs: "FRAME-10 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(frame(hdr(spec.LOGIN, ff, 2, 3, 1), crlf, []byte("a\r\n")))})
	add(genCase{name: "n_len_too_small", desc: "LOGIN alice with Len 4: the payload \"alic\" has no CRLF.",
		reqs: "ARG-10 CONN-6 CONN-11", code: "ERR_ARGS",
		writes: one(frame(hdr(spec.LOGIN, ff, 1, 4, 1), crlf, payload(alice)))})
	add(genCase{name: "n_len_too_large", desc: "REQ alice with Len 12: five bytes after the argument.",
		reqs: "ARG-10 CONN-6 CONN-11", code: "ERR_ARGS",
		writes: one(frame(hdr(spec.REQ, ff, 1, 12, 1), crlf, append(payload(alice), "zzzzz"...)))})
	// E-1: header separator.
	add(genCase{name: "n_header_sep_lf_only", desc: "REQ whose header is followed by LF only, then the payload.",
		reqs: "FRAME-7 CONN-6 CONN-9", code: "ERR_HEADER",
		writes: one(frame(hdr(spec.REQ, ff, 1, 7, 1), []byte{'\n'}, append(payload(alice), 'x')))})
	add(genCase{name: "n_header_sep_xy", desc: "KEEP whose header is followed by \"XY\".", reqs: "FRAME-7 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(frame(hdr(spec.KEEP, ff, 0, 0, 1), []byte("XY"), nil))})
	add(genCase{name: "n_header_sep_lfcr", desc: "KEEP whose header is followed by LF CR.", reqs: "FRAME-7 CONN-6 CONN-9",
		code: "ERR_HEADER", writes: one(frame(hdr(spec.KEEP, ff, 0, 0, 1), []byte("\n\r"), nil))})
	// E-7: payloads that cannot be split.
	add(genCase{name: "n_missing_final_crlf", desc: "LOGIN alice whose last two payload bytes are \"xx\" instead of CRLF.",
		reqs: "FRAME-6 ARG-10 CONN-6 CONN-11", code: "ERR_ARGS",
		writes: one(frame(hdr(spec.LOGIN, ff, 1, 7, 1), crlf, []byte("alicexx")))})
	add(genCase{name: "n_missing_final_crlf_short", desc: "REQ alice with Len 5 and no CRLF at all.",
		reqs: "FRAME-6 ARG-10 CONN-6 CONN-11", code: "ERR_ARGS",
		writes: one(frame(hdr(spec.REQ, ff, 1, 5, 1), crlf, alice))})
	add(genCase{name: "n_trailing_junk", desc: "REQ alice followed by junk inside Len.", reqs: "ARG-10 CONN-6 CONN-11",
		code: "ERR_ARGS", writes: one(frame(hdr(spec.REQ, ff, 1, 11, 1), crlf, append(payload(alice), "junk"...)))})
	add(genCase{name: "n_msg_stamp_3_bytes", desc: "MSG whose spec-dialect timestamp has 3 bytes.",
		reqs: "ARG-10 CONN-6 CONN-11", code: "ERR_ARGS", before: BeforeLogin, dialect: "spec",
		writes: one(pkt(spec.MSG, ff, 1, nobody, stamp[:3], []byte("ct")))})
	// E-3: argument size.
	add(genCase{name: "n_arg_2048", desc: "LOGIN with a 2048-byte username (over both dialects' limits).",
		reqs: "ARG-2 ARG-3 CONN-6 CONN-10", code: "ERR_MAXSIZE", writes: one(pkt(spec.LOGIN, ff, 1, fill(2048)))})
	add(genCase{name: "n_arg_2046_gochat1", desc: "LOGIN with a 2046-byte username: over gochat1's 2045.",
		reqs: "ARG-2 ARG-3 CONN-6 CONN-10", code: "ERR_MAXSIZE", dialect: "gochat1",
		writes: one(pkt(spec.LOGIN, ff, 1, fill(2046)))})
	add(genCase{name: "n_msg_ciphertext_2048", desc: "MSG with a 2048-byte ciphertext after login.",
		reqs: "ARG-3 CONN-6 CONN-10", code: "ERR_MAXSIZE", before: BeforeLogin, dialect: "spec",
		writes: one(pkt(spec.MSG, ff, 1, nobody, stamp, fill(2048)))})
	// Pipelining: a good packet then a bad one in one write.
	add(genCase{name: "n_pipelined_good_then_bad", desc: "KEEP, REQ, then a version-2 KEEP in one write.",
		reqs: "FRAME-11 CONN-6 CONN-8", code: "ERR_VERSION",
		writes: one(keep, pkt(spec.REQ, ff, 2, alice), withHdr(spec.KEEP, ff, 3, func(h *spec.Header) { h.Version = 2 }))})
	add(genCase{name: "n_split_bad_header", desc: "A version-0 header written one byte per write.",
		reqs: "FRAME-11 CONN-6 CONN-8", code: "ERR_VERSION",
		writes: bytes.Split(withHdr(spec.KEEP, ff, 1, func(h *spec.Header) { h.Version = 0 }), nil)})

	// Accepted inputs.
	add(genCase{name: "y_keep_before_login", desc: "KEEP before login gets no reply and keeps the connection.",
		reqs: "KEEP-1 KEEP-2", writes: one(keep)})
	add(genCase{name: "y_keep_after_login", desc: "KEEP after login.", reqs: "KEEP-1 KEEP-2", before: BeforeLogin,
		writes: one(keep)})
	add(genCase{name: "y_keep_flood", desc: "200 KEEPs in one write.", reqs: "FRAME-11 KEEP-1",
		writes: one(bytes.Repeat(keep, 200))})
	for _, r := range []uint16{0x0000, 0x1234} {
		add(genCase{name: fmt.Sprintf("y_reserved_%04x", r), desc: fmt.Sprintf("LOGIN nobody with Reserved 0x%04X is processed normally.", r),
			reqs: "FRAME-4", writes: one(withHdr(spec.LOGIN, ff, 1, func(h *spec.Header) { h.Reserved = r }, nobody))})
	}
	add(genCase{name: "y_id_1023", desc: "REQ with the largest ID.", reqs: "FRAME-17", before: BeforeLogin,
		writes: one(pkt(spec.REQ, ff, 1023, nobody))})
	add(genCase{name: "y_pipelined", desc: "KEEP, REQ and LOGIN in one write, answered in order.", reqs: "FRAME-11",
		writes: one(keep, pkt(spec.REQ, ff, 2, alice), pkt(spec.LOGIN, ff, 3, nobody))})
	add(genCase{name: "y_split_every_byte", desc: "LOGIN nobody written one byte per write.", reqs: "FRAME-11",
		writes: bytes.Split(pkt(spec.LOGIN, ff, 1, nobody), nil)})
	add(genCase{name: "y_empty_arg", desc: "LOGIN with an empty username: framing is fine, the value is not (ERR_ARGS reply).",
		reqs: "ARG-5", writes: one(pkt(spec.LOGIN, ff, 1, nil))})
	add(genCase{name: "y_arg_2045", desc: "LOGIN with a 2045-byte username: within both limits (ERR_ARGS reply).",
		reqs: "ARG-2 ARG-4", writes: one(pkt(spec.LOGIN, ff, 1, fill(2045)))})
	add(genCase{name: "y_arg_2047_spec", desc: "LOGIN with a 2047-byte username: exactly the spec limit.",
		reqs: "ARG-2", dialect: "spec", writes: one(pkt(spec.LOGIN, ff, 1, fill(2047)))})
	add(genCase{name: "y_msg_ciphertext_2047", desc: "MSG to an unknown user with a ciphertext of exactly 2047 bytes.",
		reqs: "ARG-2", before: BeforeLogin, dialect: "spec", writes: one(pkt(spec.MSG, ff, 1, nobody, stamp, fill(2047)))})
	add(genCase{name: "y_msg_ciphertext_crlf", desc: "MSG whose ciphertext contains CRLF in the middle and at its end.",
		reqs: "ARG-9 ARG-11", before: BeforeLogin, dialect: "spec", writes: one(pkt(spec.MSG, ff, 1, nobody, stamp, ctCRLF))})
	add(genCase{name: "y_msg_stamp_crlf_spec", desc: "MSG whose 4-byte timestamp is 0D 0A 0D 0A.",
		reqs: "ARG-9 ENC-4", before: BeforeLogin, dialect: "spec",
		writes: one(pkt(spec.MSG, ff, 1, nobody, []byte{0x0d, 0x0a, 0x0d, 0x0a}, []byte("ct")))})
	add(genCase{name: "y_msg_stamp_tail_0d_gochat1", desc: "MSG whose varint timestamp ends in 0x0D, so the stream reads 0D 0D 0A.",
		reqs: "ARG-9 ENC-5", before: BeforeLogin, dialect: "gochat1",
		writes: one(pkt(spec.MSG, ff, 1, nobody, []byte{0xc4, 0xd1, 0x8c, 0xad, 0x0d}, []byte("ct")))})
	add(genCase{name: "y_usrs_all", desc: "USRS all after login.", reqs: "FRAME-14", before: BeforeLogin,
		writes: one(pkt(spec.USRS, 0x00, 1))})
	add(genCase{name: "y_sub_unsub_all", desc: "SUB all then UNSUB all.", reqs: "FRAME-14", before: BeforeLogin,
		writes: one(pkt(spec.SUB, 0x00, 1), pkt(spec.UNSUB, 0x00, 2))})

	// Implementation-defined.
	add(genCase{name: "i_len_promises_more", desc: "LOGIN with Len 100 and 8 payload bytes: the server waits (idle deadline).",
		writes: one(frame(hdr(spec.LOGIN, ff, 1, 100, 1), crlf, payload(nobody)))})
	add(genCase{name: "i_half_header", desc: "Four header bytes, then silence.", writes: one(keep[:4])})
	add(genCase{name: "i_admin_unknown_op", desc: "ADMIN with unknown operation 0x20 and three arguments (ARG-8, MAY).",
		reqs: "ARG-8", before: BeforeLogin, writes: one(pkt(spec.ADMIN, 0x20, 1, alice, nobody, []byte("x")))})
	add(genCase{name: "i_usrs_kind_9", desc: "USRS with unknown list kind 9 (ERR_OPTION expected by E-30).",
		before: BeforeLogin, writes: one(pkt(spec.USRS, 0x09, 1))})
	add(genCase{name: "i_pem_key_spec_dialect", desc: "REG with a malformed PEM-looking key (ENC-3 is a SHOULD).",
		writes: one(pkt(spec.REG, ff, 1, []byte("zz"), []byte("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----")))})
	return cs
}

func (g genCase) render() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", g.desc)
	if g.reqs != "" {
		fmt.Fprintf(&b, "requirements: %s\n", g.reqs)
	}
	if g.before != "" && g.before != BeforeNone {
		fmt.Fprintf(&b, "before: %s\n", g.before)
	}
	if g.dialect != "" {
		fmt.Fprintf(&b, "dialect: %s\n", g.dialect)
	}
	if g.code != "" {
		fmt.Fprintf(&b, "code: %s\n", g.code)
	}
	for _, w := range g.writes {
		fmt.Fprintf(&b, "write: %s\n", EncodeWrite(w))
	}
	return []byte(b.String())
}

func TestCorpusUpToDate(t *testing.T) {
	cases := genCases()
	want := map[string][]byte{}
	for _, g := range cases {
		_, dup := want[g.name]
		require.False(t, dup, g.name)
		want[g.name+Ext] = g.render()
	}
	if *update {
		old, _ := filepath.Glob("*" + Ext)
		for _, f := range old {
			require.NoError(t, os.Remove(f))
		}
		for n, b := range want {
			require.NoError(t, os.WriteFile(n, b, 0o644))
		}
	}
	have, _ := filepath.Glob("*" + Ext)
	sort.Strings(have)
	require.Len(t, have, len(want), "run with -update")
	for _, f := range have {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Equal(t, string(want[f]), string(b), "%s is stale: run go test ./fuzz/corpus -update", f)
	}
}
