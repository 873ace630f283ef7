package auth

import "time"

// MaxOTPFailures is the number of consecutive failed second-factor attempts
// after which the account is locked until an administrator resets it. With
// OTPLockout's delays 100 attempts take about four days, and each guess
// covers 3 of the million codes (the current step and one either side), so
// an attacker who already has the password gets about a 1-in-3,300 chance
// before the lock: after that a person should look at what is happening.
const MaxOTPFailures = 100

// OTPLockout returns how long to refuse second-factor attempts after the
// failures-th consecutive failure: nothing for the first 4 (typos, a clock
// step), then 30 s doubling with each failure up to one hour. The caller
// refuses attempts until lastFailure + OTPLockout(failures), and separately
// locks the account at MaxOTPFailures.
func OTPLockout(failures int) time.Duration {
	return backoff(failures, 4, 30*time.Second, time.Hour)
}

// PasswordLockout returns how long to refuse sign-in attempts for an address
// after its failures-th consecutive password failure: nothing for the first
// 5, then one minute doubling with each failure up to one hour. It slows
// online guessing without letting anyone lock a customer out for long by
// typing their address.
func PasswordLockout(failures int) time.Duration {
	return backoff(failures, 5, time.Minute, time.Hour)
}

// backoff returns 0 for up to free failures, then first, doubling with each
// further failure, capped at ceiling.
func backoff(failures, free int, first, ceiling time.Duration) time.Duration {
	if failures <= free {
		return 0
	}
	d := first
	for i := free + 1; i < failures; i++ {
		d *= 2
		if d >= ceiling {
			return ceiling
		}
	}
	return min(d, ceiling)
}
