/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * `podwall replay`: the real dataplane on a capture (see replay.c).
 */
#ifndef PW_REPLAY_H
#define PW_REPLAY_H

/** Run `podwall replay ARGS` (argv[0] is "replay"). @return the process exit code. */
int pw_replay_main(int argc, char **argv);

#endif /* PW_REPLAY_H */
