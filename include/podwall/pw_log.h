/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Log types: one per side, so that --log-level='user.podwall.*:debug' works. Nothing is
 * logged per packet.
 */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <rte_log.h>

extern int pw_logtype_dp;
extern int pw_logtype_ctl;

#define RTE_LOGTYPE_PW_DP pw_logtype_dp
#define RTE_LOGTYPE_PW_CTL pw_logtype_ctl

#define PW_DP_LOG(level, fmt, ...) RTE_LOG(level, PW_DP, "dp: " fmt "\n", ##__VA_ARGS__)
#define PW_CTL_LOG(level, fmt, ...) RTE_LOG(level, PW_CTL, fmt "\n", ##__VA_ARGS__)

#endif /* PW_LOG_H */
