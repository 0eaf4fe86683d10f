package api

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Resource names that the scheduler and agents understand.
const (
	ResourceCPU              = "cpu"
	ResourceMemory           = "memory"
	ResourceEphemeralStorage = "ephemeral-storage"
	ResourcePods             = "pods"
	// ResourceStorage is what a PersistentVolumeClaim requests; the
	// scheduler counts a claim's request against its node's
	// ephemeral-storage until the claim is bound.
	ResourceStorage = "storage"
)

// ResourceList maps a resource name to a quantity as written in manifests
// ("500m", "128Mi"). Values stay strings on the wire so that a manifest
// round-trips unchanged; ParseQuantity reads them.
type ResourceList map[string]string

// Quantity is a parsed amount, kept in thousandths of a unit so that both
// "500m" CPU and "64Gi" bytes fit exactly in an int64.
type Quantity struct {
	milli int64
}

var quantityRE = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$`)

var quantitySuffixes = map[string]*big.Rat{
	"":   big.NewRat(1, 1),
	"n":  big.NewRat(1, 1_000_000_000),
	"u":  big.NewRat(1, 1_000_000),
	"m":  big.NewRat(1, 1000),
	"k":  big.NewRat(1_000, 1),
	"M":  big.NewRat(1_000_000, 1),
	"G":  big.NewRat(1_000_000_000, 1),
	"T":  big.NewRat(1_000_000_000_000, 1),
	"P":  big.NewRat(1_000_000_000_000_000, 1),
	"E":  big.NewRat(1_000_000_000_000_000_000, 1),
	"Ki": big.NewRat(1<<10, 1),
	"Mi": big.NewRat(1<<20, 1),
	"Gi": big.NewRat(1<<30, 1),
	"Ti": big.NewRat(1<<40, 1),
	"Pi": big.NewRat(1<<50, 1),
	"Ei": big.NewRat(1<<60, 1),
}

// ErrFormatWrong is Kubernetes' message for an unparseable quantity.
const quantityFormatMsg = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

// ParseQuantity reads a Kubernetes quantity: a decimal number with an
// optional SI suffix (m, k, M, G…), binary suffix (Ki, Mi, Gi…) or exponent
// (1e3). Fractions below a thousandth round up, as Kubernetes rounds.
func ParseQuantity(s string) (Quantity, error) {
	// Clusters use a handful of distinct quantities ("100m", "256Mi"…) over
	// and over; the FSM sums every pod on a node for each binding, so parsed
	// values are remembered (a pure function: safe in Apply).
	if q, ok := quantityCache.Load(s); ok {
		return q.(Quantity), nil
	}
	q, err := parseQuantity(s)
	if err == nil && quantityCacheSize.Add(1) <= maxCachedQuantities {
		quantityCache.Store(s, q)
	}
	return q, err
}

var (
	quantityCache     sync.Map
	quantityCacheSize atomic.Int64
)

const maxCachedQuantities = 4096

func parseQuantity(s string) (Quantity, error) {
	m := quantityRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || s == "" {
		return Quantity{}, fmt.Errorf("%q: %s", s, quantityFormatMsg)
	}
	num, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return Quantity{}, fmt.Errorf("%q: %s", s, quantityFormatMsg)
	}
	if err := applySuffix(num, m[2]); err != nil {
		return Quantity{}, fmt.Errorf("%q: %w", s, err)
	}
	num.Mul(num, big.NewRat(1000, 1))
	q := new(big.Int).Quo(num.Num(), num.Denom())
	if new(big.Rat).SetInt(q).Cmp(num) != 0 && num.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return Quantity{}, fmt.Errorf("%q: quantity too large", s)
	}
	return Quantity{milli: q.Int64()}, nil
}

func applySuffix(num *big.Rat, suffix string) error {
	if suffix != "" && (suffix[0] == 'e' || suffix[0] == 'E') && len(suffix) > 1 {
		exp, err := strconv.Atoi(suffix[1:])
		if err != nil || exp > 30 || exp < -30 {
			return fmt.Errorf("unable to parse exponent %q", suffix)
		}
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil))
		if exp < 0 {
			p.Inv(p)
		}
		num.Mul(num, p)
		return nil
	}
	mult, ok := quantitySuffixes[suffix]
	if !ok {
		return fmt.Errorf("unable to parse quantity's suffix %q", suffix)
	}
	num.Mul(num, mult)
	return nil
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// MustParseQuantity is ParseQuantity for constants in code and tests.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

// MilliValue is the amount in thousandths (millicores for CPU).
func (q Quantity) MilliValue() int64 { return q.milli }

// Value is the amount in whole units (bytes for memory), rounded up.
func (q Quantity) Value() int64 {
	v := q.milli / 1000
	if q.milli%1000 > 0 {
		v++
	}
	return v
}

// Cmp compares two quantities: -1, 0 or 1.
func (q Quantity) Cmp(o Quantity) int {
	switch {
	case q.milli < o.milli:
		return -1
	case q.milli > o.milli:
		return 1
	}
	return 0
}

// Add returns q+o.
func (q Quantity) Add(o Quantity) Quantity { return Quantity{milli: q.milli + o.milli} }

// String renders the quantity canonically: "500m", or a whole number.
func (q Quantity) String() string {
	if q.milli%1000 != 0 {
		return fmt.Sprintf("%dm", q.milli)
	}
	return fmt.Sprintf("%d", q.milli/1000)
}

// Get parses the named resource; a missing resource is zero.
func (r ResourceList) Get(name string) (Quantity, error) {
	s, ok := r[name]
	if !ok {
		return Quantity{}, nil
	}
	return ParseQuantity(s)
}
