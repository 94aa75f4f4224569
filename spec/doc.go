// Package spec implements the gochat v1 wire protocol: header codec,
// packet framing, per-action argument schemas, and the encodings of the
// arguments (keys, timestamps, user lists, challenges). It uses only the
// standard library and holds no connection state; the reference server,
// the client and the conformance runner all build on it.
//
// # Frames
//
// A frame is an 8-byte header (one big-endian uint64: version 4 bits,
// action 8, info 8, args 4, len 14, id 10, reserved 16), the 2-byte
// header separator CRLF, then each argument followed by CRLF. Len is the
// sum of len(arg)+2 over the arguments; the header CRLF is not counted,
// so a packet without arguments is exactly 10 bytes. Senders write
// Reserved as 0xFFFF; receivers ignore it.
//
//   - Header, Header.Bytes, ParseHeader: the raw 8 bytes, no checks.
//   - CheckServerBound, CheckClientBound (CheckHeader): the header rules
//     of each direction (version, action, ID, Info, argument count, Len).
//   - Packet, AppendPacket, MarshalPacket: legal packets. AppendPacket
//     does not allocate when dst has room. Packet.Validate checks that a
//     peer's checking decoder would read the packet back unchanged.
//   - RawPacket, AppendRaw, Packet.Raw: arbitrary frames for negative
//     tests.
//   - Decoder (NewDecoder, NewRawDecoder): reads one packet per
//     ReadPacket call.
//
// # Dialects
//
// DialectSpec (default) follows SPECIFICATION.md: public keys are PKIX
// DER, timestamps 4 big-endian bytes, arguments up to 2047 data bytes.
// DialectGochat1 follows the original implementation: PEM keys, zigzag
// varint timestamps, arguments up to 2045 data bytes.
//
// # Splitting arguments
//
// Arguments are not length-prefixed, yet RSA ciphertexts, DER keys and
// 4-byte timestamps may contain the bytes CRLF (about 0.7% of 512-byte
// ciphertexts do). SchemaFor gives the kinds of each action's arguments
// and SplitArgs uses them. The rule that makes this unambiguous, checked
// by a test for every schema in both dialects:
//
//	Every schema has at most one Delimited argument (variable size and
//	possibly containing CRLF: Opaque, Text, and Key in DialectSpec).
//
// Arguments before it are taken from the front of the payload and
// arguments after it from the back: a fixed-size kind (Perm: 1 byte,
// Timestamp in DialectSpec: 4 bytes) by its size, followed by CRLF;
// any other kind up to the nearest CRLF. The Delimited argument is what
// is left in between, minus its CRLF. Without one, the payload must be
// exactly the arguments, each ending in CRLF.
//
// # Errors
//
// Violations are *ProtocolError values: Code is the ERR code to answer
// with and Err a sentinel for errors.Is. Header violations give
// ERR_VERSION or ERR_HEADER (a separator other than CRLF is ERR_HEADER),
// an argument over the dialect limit ERR_MAXSIZE, a payload that does
// not split into the declared arguments ERR_ARGS, and a packet that
// cannot be encoded ERR_PACKET. The server answers a framing violation
// with ERR, null ID, and closes the connection.
//
// # Buffer ownership
//
// Decoder.ReadPacket stores in p.Args slices of the decoder's own
// buffers: they are valid only until the next ReadPacket call on that
// decoder. Call Packet.Clone to keep a packet. The payload buffer grows
// to the largest Len seen (at most MaxLen bytes), so steady-state reads
// allocate nothing. SplitArgs returns slices of its payload argument.
// AppendPacket and AppendRaw copy the arguments into dst and keep no
// reference. Schema.Kinds is shared and must not be modified.
package spec
