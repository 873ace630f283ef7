package auth

import (
	"testing"
	"time"
)

func TestOTPLockout(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{-1, 0},
		{0, 0},
		{1, 0},
		{4, 0},
		{5, 30 * time.Second},
		{6, time.Minute},
		{7, 2 * time.Minute},
		{8, 4 * time.Minute},
		{9, 8 * time.Minute},
		{10, 16 * time.Minute},
		{11, 32 * time.Minute},
		{12, time.Hour}, // 64 min, capped
		{13, time.Hour},
		{MaxOTPFailures - 1, time.Hour},
		{MaxOTPFailures, time.Hour},
		{1 << 30, time.Hour},
	}
	for _, tt := range tests {
		if got := OTPLockout(tt.failures); got != tt.want {
			t.Errorf("OTPLockout(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestPasswordLockout(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{-1, 0},
		{0, 0},
		{5, 0},
		{6, time.Minute},
		{7, 2 * time.Minute},
		{8, 4 * time.Minute},
		{9, 8 * time.Minute},
		{10, 16 * time.Minute},
		{11, 32 * time.Minute},
		{12, time.Hour}, // 64 min, capped
		{100, time.Hour},
		{1 << 30, time.Hour},
	}
	for _, tt := range tests {
		if got := PasswordLockout(tt.failures); got != tt.want {
			t.Errorf("PasswordLockout(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

// The MaxOTPFailures comment promises about four days of delays before the
// lock; keep it true if the rules change.
func TestOTPLockoutTotalBeforeLock(t *testing.T) {
	var total time.Duration
	for f := 1; f < MaxOTPFailures; f++ {
		total += OTPLockout(f)
	}
	if total < 3*24*time.Hour || total > 5*24*time.Hour {
		t.Errorf("delays before the lock add up to %v, want about four days", total)
	}
}
