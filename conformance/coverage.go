package conformance

import (
	"sort"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/scenario"
)

// Coverage relates requirements of one role to the scenarios citing them.
type Coverage struct {
	Role string
	// By maps every requirement ID of the role to the scenarios citing it.
	By map[string][]string
	// Unknown lists "scenario: ID" citations of IDs not in the registry.
	Unknown []string
	// UncoveredMust and UncoveredShould list requirements without
	// scenarios (and not verified elsewhere).
	UncoveredMust, UncoveredShould, UncoveredMay []string
	// Elsewhere lists requirements without scenarios that a Go test
	// verifies instead (Suite.Elsewhere).
	Elsewhere []string
}

// ComputeCoverage checks the scenarios of role ("server" or "client")
// against the requirements that apply to it (role or "both").
func (s *Suite) ComputeCoverage(role string) *Coverage {
	c := &Coverage{Role: role, By: map[string][]string{}}
	for _, r := range s.Registry.AppliesTo(role) {
		c.By[r.ID] = nil
	}
	for _, sc := range s.Scenarios {
		if sc.Role != role {
			continue
		}
		for _, id := range sc.Requirements {
			if _, ok := s.Registry.Get(id); !ok {
				c.Unknown = append(c.Unknown, sc.ID+": "+id)
				continue
			}
			c.By[id] = append(c.By[id], sc.ID)
		}
	}
	elsewhere := map[string]bool{}
	for _, e := range s.Elsewhere {
		elsewhere[e.ID] = true
	}
	for id, scs := range c.By {
		if len(scs) > 0 {
			continue
		}
		if elsewhere[id] {
			c.Elsewhere = append(c.Elsewhere, id)
			continue
		}
		r, _ := s.Registry.Get(id)
		switch r.Level {
		case registry.LevelMust:
			c.UncoveredMust = append(c.UncoveredMust, id)
		case registry.LevelShould:
			c.UncoveredShould = append(c.UncoveredShould, id)
		default:
			c.UncoveredMay = append(c.UncoveredMay, id)
		}
	}
	for _, l := range [][]string{c.UncoveredMust, c.UncoveredShould, c.UncoveredMay, c.Unknown, c.Elsewhere} {
		sort.Slice(l, func(i, j int) bool { return registry.CompareIDs(l[i], l[j]) < 0 })
	}
	return c
}

// Sections groups scenarios by the section of their first requirement
// (falling back to the ID prefix), in section order.
func (s *Suite) Sections(role string) ([]string, map[string][]*scenario.Scenario) {
	by := map[string][]*scenario.Scenario{}
	for _, sc := range s.Scenarios {
		if sc.Role != role {
			continue
		}
		sec := "?"
		if len(sc.Requirements) > 0 {
			if r, ok := s.Registry.Get(sc.Requirements[0]); ok {
				sec = r.Section
			}
		}
		by[sec] = append(by[sec], sc)
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return registry.CompareSections(keys[i], keys[j]) < 0 })
	return keys, by
}
