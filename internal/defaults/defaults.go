// Package defaults fills a package's options: a field left at its zero
// value, or for a number set below one, takes its default. Any package's
// Options.fill can call it instead of writing the same if for every field.
package defaults

// number is what Positive fills: counts, rates and durations.
type number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

// Positive sets *v to def unless *v is above zero.
func Positive[T number](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Zero sets *v to def when *v is its type's zero value.
func Zero[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
