/** kafkajs logs through our Logger: its errors and warnings as such, its chatter as debug. */
import { logLevel } from 'kafkajs';
import type { logCreator } from 'kafkajs';
import type { Logger } from '@saga/core';

export const kafkaLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, ...fields } = log;
    const entry = { kafka: namespace, ...fields };
    if (level === logLevel.ERROR) logger.error(entry, `kafkajs: ${message}`);
    else if (level === logLevel.WARN) logger.warn(entry, `kafkajs: ${message}`);
    else logger.debug(entry, `kafkajs: ${message}`);
  };
