//go:build forage_alwayspush

package scheduler

// alwaysOffer: this build offers every fork to thieves as soon as it is made
// (see split_lazy.go). For measurements only.
const alwaysOffer = true
