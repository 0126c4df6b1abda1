// Package labtest builds labs for tests, as net/http/httptest builds
// servers: New returns a running lab that the test's cleanup closes, keeps
// every interface's capture when the test fails, and tells the failed test
// what the fabric dropped.
package labtest
