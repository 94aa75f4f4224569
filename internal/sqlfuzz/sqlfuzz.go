// Package sqlfuzz holds what the SQLite store fuzz targets (server and
// client) share.
package sqlfuzz

import (
	"encoding/binary"
	"math"
)

// Cell turns fuzz bytes into a database value of a chosen storage class,
// so that a column can hold what its type says it cannot (SQLite stores
// any class in any column): a corrupt or hand-edited database.
func Cell(kind uint8, b []byte) any {
	var n [8]byte
	copy(n[:], b)
	switch kind % 6 {
	case 0:
		return int64(binary.LittleEndian.Uint64(n[:]))
	case 1:
		return string(b)
	case 2:
		return b
	case 3:
		return nil
	case 4:
		return math.Float64frombits(binary.LittleEndian.Uint64(n[:]))
	}
	return int64(int8(n[0])) // small numbers, negative ones included
}
