export { default } from '@saga/tooling/eslint';
