//go:build !forage_alwayspush

package scheduler

// alwaysOffer is false in normal builds: a fork is offered to thieves only
// when the worker has nothing else on offer (latent.go). The
// forage_alwayspush build tag makes every fork stealable at once, to measure
// that policy against the lazy one (docs/design.md §9).
const alwaysOffer = false
