package spec

import "bytes"

// Kind says what an argument holds and, through the dialect, how it is
// delimited inside a payload.
type Kind uint8

// Argument kinds.
const (
	// KindUsername is CRLF-free text (validated by NormalizeUsername).
	KindUsername Kind = iota
	// KindKey is a public key: binary PKIX DER in DialectSpec (may
	// contain CRLF), PEM text in DialectGochat1 (CRLF-free).
	KindKey
	// KindTimestamp is 4 big-endian bytes in DialectSpec (fixed size,
	// may contain CRLF) or a zigzag varint in DialectGochat1 (CRLF-free).
	KindTimestamp
	// KindPerm is exactly one raw byte.
	KindPerm
	// KindOpaque is binary data (ciphertext, token); may contain CRLF.
	KindOpaque
	// KindText is free text (MOTD, broadcast, IP); may contain CRLF.
	KindText
	// KindUserList is a CRLF-free fragment of a newline-separated list.
	KindUserList
	// KindRaw is uninterpreted CRLF-free data (arguments of unknown ADMIN
	// operations, which are split at every CRLF).
	KindRaw
)

var kindNames = [...]string{"Username", "Key", "Timestamp", "Perm", "Opaque", "Text", "UserList", "Raw"}

func (k Kind) String() string { return codeName(uint8(k), kindNames[:], "Kind") }

// FixedSize returns the exact size of arguments of kind k in dialect d,
// or 0 if the size varies.
func (k Kind) FixedSize(d Dialect) int {
	switch {
	case k == KindPerm:
		return 1
	case k == KindTimestamp && d == DialectSpec:
		return 4
	}
	return 0
}

// Delimited reports whether arguments of kind k are variable-sized and
// may contain the bytes CRLF in dialect d, so that they cannot be found
// by searching for CRLF. Each schema has at most one such argument.
func (k Kind) Delimited(d Dialect) bool {
	switch k {
	case KindOpaque, KindText:
		return true
	case KindKey:
		return d == DialectSpec
	}
	return false
}

// Schema describes the arguments an action takes: between Min and Max
// of them, the i-th of kind Kinds[i]. Kinds has Max entries and is
// shared: callers must not modify it.
type Schema struct {
	Min, Max int
	Kinds    []Kind
}

func schema(min int, kinds ...Kind) Schema { return Schema{Min: min, Max: len(kinds), Kinds: kinds} }

func repeated(min int, k Kind) Schema {
	kinds := make([]Kind, MaxArgs)
	for i := range kinds {
		kinds[i] = k
	}
	return Schema{Min: min, Max: MaxArgs, Kinds: kinds}
}

var (
	noArgs = Schema{}

	serverSchemas = map[Action]Schema{
		KEEP:   noArgs,
		REG:    schema(2, KindUsername, KindKey),
		DEREG:  noArgs,
		LOGIN:  schema(1, KindUsername, KindOpaque),
		LOGOUT: noArgs,
		VERIF:  schema(2, KindUsername, KindOpaque),
		REQ:    schema(1, KindUsername),
		USRS:   noArgs,
		MSG:    schema(3, KindUsername, KindTimestamp, KindOpaque),
		RECIV:  noArgs,
		SUB:    noArgs,
		UNSUB:  noArgs,
	}
	adminSchemas = [...]Schema{
		AdminShtdwn:   schema(1, KindTimestamp),
		AdminDereg:    schema(1, KindUsername),
		AdminBrdcast:  schema(1, KindText),
		AdminChgPerms: schema(2, KindUsername, KindPerm),
		AdminKick:     schema(1, KindUsername),
		AdminMotd:     schema(1, KindText),
	}
	adminUnknown = repeated(0, KindRaw)

	clientSchemas = map[Action]Schema{
		OK:     noArgs,
		ERR:    noArgs,
		HELLO:  schema(1, KindText),
		VERIF:  schema(1, KindOpaque),
		REQ:    schema(3, KindUsername, KindKey, KindPerm),
		USRS:   repeated(1, KindUserList),
		RECIV:  schema(3, KindUsername, KindTimestamp, KindOpaque),
		SHTDWN: schema(1, KindTimestamp),
	}
	hookSchemas = [...]Schema{
		HookNewLogin:  schema(2, KindUsername, KindPerm),
		HookNewLogout: schema(1, KindUsername),
		HookDupSess:   schema(1, KindText),
		HookPermsChg:  schema(2, KindUsername, KindPerm),
	}
)

// SchemaFor returns the argument schema of action a with the given Info
// in direction dir. ok is false if a is not valid in that direction or,
// for HOOK, if info is not a notifiable hook. Unknown ADMIN operations
// get a permissive 0..15 schema so the server can answer ERR_OPTION.
func SchemaFor(dir Direction, a Action, info uint8) (Schema, bool) {
	if dir == ClientBound {
		if a == HOOK {
			if info == 0 || int(info) >= len(hookSchemas) {
				return Schema{}, false
			}
			return hookSchemas[info], true
		}
		s, ok := clientSchemas[a]
		return s, ok
	}
	if a == ADMIN {
		if int(info) < len(adminSchemas) {
			return adminSchemas[info], true
		}
		return adminUnknown, true
	}
	s, ok := serverSchemas[a]
	return s, ok
}

// SplitArgs splits payload (everything after the header separator) into
// n arguments following schema s in dialect d, appending them to dst[:0].
// The returned slices alias payload.
//
// At most one of the first n kinds is Delimited (may contain CRLF).
// Arguments before it are taken from the front and arguments after it
// from the back: a fixed-size kind by its size, then a CRLF must follow;
// any other kind up to the nearest CRLF. The delimited argument is what
// remains between them, minus its terminating CRLF. Without a delimited
// argument, every argument is taken from the front and the payload must
// end exactly after the last CRLF.
//
// Errors: ErrArgCount (ERR_HEADER) if n is outside [s.Min, s.Max],
// ErrArgTooLong (ERR_MAXSIZE) if an argument exceeds d.MaxArgSize(),
// ErrSplit (ERR_ARGS) if the payload does not have that shape.
func SplitArgs(dst [][]byte, payload []byte, n int, s Schema, d Dialect) ([][]byte, error) {
	dst = dst[:0]
	if n < s.Min || n > s.Max {
		return dst, perr(CodeHeader, ErrArgCount, "%d arguments, schema allows %d..%d", n, s.Min, s.Max)
	}
	if n == 0 {
		if len(payload) != 0 {
			return dst, perr(CodeArgs, ErrSplit, "%d payload bytes without arguments", len(payload))
		}
		return dst, nil
	}
	// A payload this long must hold an oversized argument, whatever its
	// shape; say so before searching it.
	max := d.MaxArgSize()
	if len(payload) > n*(max+2) {
		return dst, perr(CodeMaxSize, ErrArgTooLong, "payload of %d bytes for %d arguments", len(payload), n)
	}
	kinds := s.Kinds[:n]
	mid := -1
	for i, k := range kinds {
		if k.Delimited(d) {
			mid = i
			break
		}
	}
	var err error
	if mid < 0 {
		var rest []byte
		dst, rest, err = splitFront(dst, payload, kinds, d)
		if err == nil && len(rest) != 0 {
			err = splitErr("%d bytes after the last argument", len(rest))
		}
	} else {
		dst, err = splitAround(dst, payload, kinds, mid, d)
	}
	if err != nil {
		return dst[:0], err
	}
	for i, a := range dst {
		if len(a) > max {
			return dst[:0], perr(CodeMaxSize, ErrArgTooLong, "argument %d has %d bytes, limit %d", i+1, len(a), max)
		}
	}
	return dst, nil
}

func splitErr(format string, args ...any) error { return perr(CodeArgs, ErrSplit, format, args...) }

// splitFront takes kinds from the front of p and returns the rest.
func splitFront(dst [][]byte, p []byte, kinds []Kind, d Dialect) ([][]byte, []byte, error) {
	for i, k := range kinds {
		var end int
		if size := k.FixedSize(d); size > 0 {
			end = size
			if len(p) < size+2 || p[size] != '\r' || p[size+1] != '\n' {
				return dst, p, splitErr("argument %d (%s) is not %d bytes followed by CRLF", i+1, k, size)
			}
		} else if end = bytes.Index(p, []byte(crlf)); end < 0 {
			return dst, p, splitErr("argument %d (%s) lacks its CRLF", i+1, k)
		}
		dst = append(dst, p[:end:end])
		p = p[end+2:]
	}
	return dst, p, nil
}

// splitAround handles a schema whose argument mid may contain CRLF.
func splitAround(dst [][]byte, p []byte, kinds []Kind, mid int, d Dialect) ([][]byte, error) {
	dst, p, err := splitFront(dst, p, kinds[:mid], d)
	if err != nil {
		return dst, err
	}
	// Reserve room for the tail arguments, filled from the back.
	n := len(kinds)
	for range n - mid {
		dst = append(dst, nil)
	}
	for i := n - 1; i > mid; i-- {
		k := kinds[i]
		if len(p) < 2 || p[len(p)-2] != '\r' || p[len(p)-1] != '\n' {
			return dst, splitErr("argument %d (%s) lacks its CRLF", i+1, k)
		}
		p = p[:len(p)-2]
		start := 0
		if size := k.FixedSize(d); size > 0 {
			if start = len(p) - size; start < 0 {
				return dst, splitErr("argument %d (%s) shorter than %d bytes", i+1, k, size)
			}
		} else if j := bytes.LastIndex(p, []byte(crlf)); j >= 0 {
			start = j + 2
		} else {
			return dst, splitErr("no CRLF before argument %d (%s)", i+1, k)
		}
		dst[len(dst)-n+i] = p[start:len(p):len(p)]
		p = p[:start]
	}
	if len(p) < 2 || p[len(p)-2] != '\r' || p[len(p)-1] != '\n' {
		return dst, splitErr("argument %d (%s) lacks its CRLF", mid+1, kinds[mid])
	}
	dst[len(dst)-n+mid] = p[: len(p)-2 : len(p)-2]
	return dst, nil
}

// SplitCRLF splits p at every CRLF into at most limit pieces, appending
// them to dst[:0]; the last piece holds the unsplit rest. Bytes after the
// final CRLF form a piece of their own. It never fails: the raw decoder
// uses it to show whatever a peer sent.
func SplitCRLF(dst [][]byte, p []byte, limit int) [][]byte {
	dst = dst[:0]
	for len(p) > 0 && len(dst) < limit-1 {
		i := bytes.Index(p, []byte(crlf))
		if i < 0 {
			break
		}
		dst = append(dst, p[:i:i])
		p = p[i+2:]
	}
	if len(p) > 0 && limit > 0 {
		dst = append(dst, p)
	}
	return dst
}
