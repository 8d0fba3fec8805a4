import base from '@saga/tooling/eslint';

// The benchmark's whole output is what it prints.
export default [...base, { rules: { 'no-console': 'off' } }];
