/** The Redis version this server speaks as (INFO redis_version, HELLO, Lua's REDIS_VERSION). */
export const REDIS_VERSION = "7.0.15";
