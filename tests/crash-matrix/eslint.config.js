import base from '@saga/tooling/eslint';

// The matrix prints one row of figures per case: that is part of its report.
export default [...base, { rules: { 'no-console': 'off' } }];
