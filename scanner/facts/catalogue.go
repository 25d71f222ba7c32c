package facts

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Catalogue is the settings table and the error-class table as one value.
// Default() is the one ntlmscan ships; tests (and only tests, so far) build
// others with With to show that a new setting needs one row and one rule.
// A Catalogue is immutable: its methods return rows that must not be
// modified.
type Catalogue struct {
	settings []Setting
	classes  []Class
	byID     map[string]int // lower-case setting ID -> index
	byClass  map[ErrorClass]int
}

// NewCatalogue checks the rows and indexes them: every setting row
// complete and consistent (see Setting), no setting ID or registry value
// twice, every class with a meaning, a fix and a hint, no class twice.
func NewCatalogue(settings []Setting, classes []Class) (*Catalogue, error) {
	c := &Catalogue{
		settings: append([]Setting(nil), settings...),
		classes:  append([]Class(nil), classes...),
		byID:     make(map[string]int, len(settings)),
		byClass:  make(map[ErrorClass]int, len(classes)),
	}
	var errs []error
	values := map[string]string{}
	for i := range c.settings {
		s := &c.settings[i]
		if bad := s.check(); bad != "" {
			errs = append(errs, fmt.Errorf("setting %q: %s", s.ID, bad))
		}
		id := strings.ToLower(s.ID)
		if _, dup := c.byID[id]; dup {
			errs = append(errs, fmt.Errorf("setting %q: the ID is listed twice", s.ID))
		}
		c.byID[id] = i
		v := strings.ToLower(s.RegistryKey().String())
		if prev, dup := values[v]; dup {
			errs = append(errs, fmt.Errorf("setting %q: registry value %s is already setting %q", s.ID, s.RegistryKey(), prev))
		}
		values[v] = s.ID
	}
	for i, k := range c.classes {
		if _, dup := c.byClass[k.Class]; dup {
			errs = append(errs, fmt.Errorf("error class %q is listed twice", k.Class))
		}
		c.byClass[k.Class] = i
		if k.Class == "" || k.Meaning == "" || k.Fix == "" || k.Hint == "" {
			errs = append(errs, fmt.Errorf("error class %q: Class, Meaning, Fix and Hint are required", k.Class))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Default is the table ntlmscan ships (Settings and Classes).
func Default() *Catalogue { return defaultCatalogue() }

var defaultCatalogue = sync.OnceValue(func() *Catalogue {
	c, err := NewCatalogue(Settings, Classes)
	if err != nil {
		// The shipped table is checked by TestDefaultCatalogue; a bad row
		// is a build defect, not an input error.
		panic("scanner/facts: the settings table is inconsistent: " + err.Error())
	}
	return c
})

// With returns a copy of the catalogue with more setting rows added at the
// end, checked as NewCatalogue checks them.
func (c *Catalogue) With(rows ...Setting) (*Catalogue, error) {
	return NewCatalogue(append(append([]Setting(nil), c.settings...), rows...), c.classes)
}

// Settings returns the setting rows in table order (do not modify them).
func (c *Catalogue) Settings() []Setting { return c.settings }

// Setting returns the row for id (case-insensitive, as the registry and
// the what-if file are), or nil.
func (c *Catalogue) Setting(id string) *Setting {
	if i, ok := c.byID[strings.ToLower(id)]; ok {
		return &c.settings[i]
	}
	return nil
}

// IDs lists the setting IDs in table order.
func (c *Catalogue) IDs() []string {
	out := make([]string, len(c.settings))
	for i := range c.settings {
		out[i] = c.settings[i].ID
	}
	return out
}

// RegistryKeys lists every registry value of the table once, in table
// order: what the collector asks each host.
func (c *Catalogue) RegistryKeys() []RegistryKey {
	keys := make([]RegistryKey, 0, len(c.settings))
	seen := map[string]bool{}
	for i := range c.settings {
		k := c.settings[i].RegistryKey()
		id := strings.ToLower(k.String())
		if !seen[id] {
			seen[id] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// Classes returns the error-class rows in table order (do not modify them).
func (c *Catalogue) Classes() []Class { return c.classes }

// Class returns the row of an error class, or nil.
func (c *Catalogue) Class(k ErrorClass) *Class {
	if i, ok := c.byClass[k]; ok {
		return &c.classes[i]
	}
	return nil
}
