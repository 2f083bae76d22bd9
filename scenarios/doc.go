// Package scenarios reads experiment descriptions (YAML scenario files,
// DESIGN §4), loads their data, and turns them into models and runs.
package scenarios
