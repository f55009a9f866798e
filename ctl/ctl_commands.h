/*
 * ctl_commands.h: the rows of ermctl's command table, each defined in its family's file
 * (ctl/cmd_*.c) next to its argument struct and code. ctl/ermctl.c lists them, in the
 * order of `ermctl --help`, in its one table.
 */
#ifndef ERM_CTL_COMMANDS_H
#define ERM_CTL_COMMANDS_H

#include "ctl/cli.h"

/* cmd_schema.c */
extern const struct ctl_command cmd_schema_migrate;

/* cmd_product.c */
extern const struct ctl_command cmd_product_add, cmd_product_activate, cmd_product_retire,
    cmd_product_list, cmd_product_show;

/* cmd_people.c */
extern const struct ctl_command cmd_people_employee_add, cmd_people_employee_import,
    cmd_people_employee_deactivate, cmd_people_team_create, cmd_people_team_add;

/* cmd_handout.c */
extern const struct ctl_command cmd_handout_assign, cmd_handout_claim;

/* cmd_optout.c */
extern const struct ctl_command cmd_optout_list;

/* cmd_order.c */
extern const struct ctl_command cmd_order_cancel;

/* cmd_period.c */
extern const struct ctl_command cmd_period_close, cmd_period_ranking;

/* cmd_report.c */
extern const struct ctl_command cmd_report;

/* cmd_user.c */
extern const struct ctl_command cmd_user_add;

#endif
