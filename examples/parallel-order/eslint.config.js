import base from '@saga/tooling/eslint';

// A demo prints to the terminal: that is its whole point.
export default [...base, { rules: { 'no-console': 'off' } }];
