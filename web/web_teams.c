/*
 * web_teams.c: virtual teams (虚拟团队) of web_api.h over storage/people.h, as `ermctl team
 * create` and `ermctl team add`: for managers of every department (a team may span
 * departments), each action audited.
 */
#include <string.h>

#include "core/msisdn.h"
#include "storage/people.h"
#include "web/web_api.h"

void web_teams_create(struct web_req *r)
{
    json_t *j = web_scoped(r, "部门经理不能管理虚拟团队") ? NULL : web_body_json(r);
    if (j == NULL)
        return;
    const char *name = web_str(j, "name"), *leader = web_str(j, "leader");
    char err[512];
    int rc = stor_team_create(r->adm, name, leader, web_str(j, "split"), err, sizeof err);
    web_audit(r, "team.create", "%s led by %s: %s", name ? name : "", leader ? leader : "",
              rc < 0 ? err : "created");
    if (rc < 0)
        web_fail_rc(r, rc, err);
    else
        web_json(r, 201, json_pack("{s:s, s:s}", "name", name, "leader", leader));
    json_decref(j);
}

void web_teams_add(struct web_req *r)
{
    json_t *j = web_scoped(r, "部门经理不能管理虚拟团队") ? NULL : web_body_json(r);
    if (j == NULL)
        return;
    struct team_member_spec s = {web_str(j, "team"), web_str(j, "employee"), web_str(j, "msisdn"),
                                 web_str(j, "name")};
    char err[512], msisdn[MSISDN_LEN + 1] = "";
    int already = 0;
    int rc = stor_team_add(r->adm, &s, &already, msisdn, err, sizeof err);
    web_audit(r, "team.add", "%s: %s %s", s.team ? s.team : "", s.employee ? s.employee : msisdn,
              rc < 0    ? err
              : already ? "already"
                        : "added");
    if (rc < 0)
        web_fail_rc(r, rc, err);
    else
        web_json(
            r, 200,
            json_pack("{s:s, s:s, s:b}", "team", s.team, "msisdn", msisdn, "already", already));
    json_decref(j);
}
