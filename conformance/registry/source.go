package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Sources of a requirement. A verdict against a SourceSpec requirement is
// the original specification's; one against a SourceDecision requirement
// is this project's reading of it and fails a run only under --strict.
const (
	SourceSpec     = "spec"
	SourceDecision = "decision"
)

// UpstreamSections are the headings of the original SPECIFICATION.md, the
// only places a SourceSpec requirement may cite. "Hooks" is the heading of
// both the hook code list and the section on hooks.
var UpstreamSections = []string{
	"The gochat Protocol", "Commands", "Header", "Special Codes", "Action Codes",
	"Information Field", "Error Codes", "Types of user lists", "Admin Operations", "Hooks",
	"Payload", "Replies", "Connection", "Permissions", "Operations", "User accounts",
	"User registration", "Verification handshake", "User disconnection",
	"Deregistering a user", "Message communication", "Requesting connection with a user",
	"Listing all users", "Sending a message", "Receiving messages", "Miscellaneous",
	"Administrative operations", "Subscriptions to events", "Triggering events",
}

var errataID = regexp.MustCompile(`^E-[1-9][0-9]*$`)

// IsDecision reports whether the requirement is a project decision rather
// than a statement of the original specification.
func (q Requirement) IsDecision() bool { return q.Source == SourceDecision }

// ValidSource reports whether s is SourceSpec or SourceDecision.
func ValidSource(s string) bool { return s == SourceSpec || s == SourceDecision }

// splitCites splits a "cites" value ("Header, Payload" or "E-7, E-9").
func splitCites(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// checkCites returns a message when cites do not suit source: a spec
// requirement cites headings of the original specification, a decision
// cites errata entries.
func checkCites(source string, cites []string) string {
	if len(cites) == 0 {
		return "cites no section of the original specification and no errata entry"
	}
	for _, c := range cites {
		switch {
		case source == SourceSpec && !slices.Contains(UpstreamSections, c):
			return fmt.Sprintf("%q is not a heading of the original specification", c)
		case source == SourceDecision && !errataID.MatchString(c):
			return fmt.Sprintf("%q is not an errata entry (want E-n)", c)
		}
	}
	return ""
}
