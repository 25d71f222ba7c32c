package smbprobe

import (
	"encoding/asn1"
	"errors"
	"fmt"
)

// Mechanism OIDs a server lists in its SPNEGO NegTokenInit.
var (
	oidSPNEGO     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	oidNTLMSSP    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	oidKerberos   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	oidMSKerberos = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	oidKerbU2U    = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2, 3}
	oidNegoEx     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 30}
)

// Mechanism names as the report shows them.
const (
	MechNTLMSSP    = "ntlmssp"
	MechKerberos   = "kerberos"
	MechMSKerberos = "ms-kerberos"
	MechKerbU2U    = "kerberos-u2u"
	MechNegoEx     = "negoex"
)

// MechanismName names a mechanism OID; an unknown one is its dotted form.
func MechanismName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(oidNTLMSSP):
		return MechNTLMSSP
	case oid.Equal(oidKerberos):
		return MechKerberos
	case oid.Equal(oidMSKerberos):
		return MechMSKerberos
	case oid.Equal(oidKerbU2U):
		return MechKerbU2U
	case oid.Equal(oidNegoEx):
		return MechNegoEx
	}
	return oid.String()
}

// maxMechs bounds the mechanism list kept from one server.
const maxMechs = 16

// ParseNegTokenInit returns the mechanism names of a GSS-API
// InitialContextToken carrying an SPNEGO NegTokenInit (RFC 4178 4.2.1;
// Windows and Samba send the NegTokenInit2 form of [MS-SPNG] 2.2.1, whose
// extra negHints field is skipped).
func ParseNegTokenInit(blob []byte) ([]string, error) {
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(blob, &outer)
	if err != nil {
		return nil, fmt.Errorf("SPNEGO token: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("SPNEGO token: trailing bytes")
	}
	if outer.Class != asn1.ClassApplication || outer.Tag != 0 || !outer.IsCompound {
		return nil, fmt.Errorf("SPNEGO token: expected [APPLICATION 0], got class %d tag %d", outer.Class, outer.Tag)
	}
	var mech asn1.ObjectIdentifier
	inner, err := asn1.Unmarshal(outer.Bytes, &mech)
	if err != nil {
		return nil, fmt.Errorf("SPNEGO token mechanism: %w", err)
	}
	if !mech.Equal(oidSPNEGO) {
		return nil, fmt.Errorf("GSS-API token for mechanism %s, not SPNEGO", mech)
	}
	var choice asn1.RawValue
	if _, err := asn1.Unmarshal(inner, &choice); err != nil {
		return nil, fmt.Errorf("SPNEGO NegotiationToken: %w", err)
	}
	if choice.Class != asn1.ClassContextSpecific || choice.Tag != 0 {
		return nil, fmt.Errorf("SPNEGO: expected negTokenInit [0], got tag %d", choice.Tag)
	}
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(choice.Bytes, &seq); err != nil {
		return nil, fmt.Errorf("SPNEGO NegTokenInit: %w", err)
	}
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence {
		return nil, errors.New("SPNEGO NegTokenInit is not a SEQUENCE")
	}
	for b := seq.Bytes; len(b) > 0; {
		var field asn1.RawValue
		b, err = asn1.Unmarshal(b, &field)
		if err != nil {
			return nil, fmt.Errorf("SPNEGO NegTokenInit field: %w", err)
		}
		if field.Class != asn1.ClassContextSpecific || field.Tag != 0 {
			continue // reqFlags, mechToken, negHints, mechListMIC
		}
		var oids []asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(field.Bytes, &oids); err != nil {
			return nil, fmt.Errorf("SPNEGO mechTypes: %w", err)
		}
		if len(oids) > maxMechs {
			oids = oids[:maxMechs]
		}
		names := make([]string, 0, len(oids))
		for _, o := range oids {
			names = append(names, MechanismName(o))
		}
		return names, nil
	}
	return nil, errors.New("SPNEGO NegTokenInit has no mechTypes")
}
