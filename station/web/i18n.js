// Every user-visible string of the reading station, Chinese (default) and English, in one table.
// t(key, params) fills {name} placeholders; setLang() switches and tells listeners.

const STRINGS = {
  app_title: { zh: 'greenchannel 远程心电阅读站', en: 'greenchannel reading station' },
  lang_toggle: { zh: 'English', en: '中文' },
  // login
  login_title: { zh: '登录', en: 'Sign in' },
  username: { zh: '用户名', en: 'User name' },
  password: { zh: '密码', en: 'Password' },
  login_button: { zh: '登录', en: 'Sign in' },
  logout: { zh: '退出', en: 'Sign out' },
  bad_credentials: { zh: '用户名或密码错误', en: 'Wrong user name or password' },
  locked: { zh: '账户已锁定，请 15 分钟后再试', en: 'Account locked: try again in 15 minutes' },
  login_busy: {
    zh: '同时登录的请求过多，服务器正在排队处理：请稍候几秒再试',
    en: 'Too many sign-ins at once; the server is queueing them: try again in a few seconds',
  },
  session_expired: { zh: '会话已过期，请重新登录', en: 'Session expired: please sign in again' },
  login_failed: { zh: '登录失败：{msg}', en: 'Sign-in failed: {msg}' },
  // navigation and status
  nav_worklist: { zh: '工作列表', en: 'Worklist' },
  nav_reports: { zh: '质控报表', en: 'Reports' },
  ws_live: { zh: '实时', en: 'live' },
  ws_connecting: { zh: '连接中…', en: 'connecting…' },
  ws_offline: { zh: '已断开，重连中', en: 'offline, reconnecting' },
  role_cardiologist: { zh: '心内科医师', en: 'cardiologist' },
  role_coordinator: { zh: '胸痛中心协调员', en: 'coordinator' },
  role_admin: { zh: '管理员', en: 'admin' },
  // admin pages (issue 15): users, roster, audit log
  nav_admin: { zh: '管理', en: 'Admin' },
  nav_users: { zh: '用户管理', en: 'Users' },
  nav_roster: { zh: '值班表', en: 'On-call roster' },
  nav_audit: { zh: '审计日志', en: 'Audit log' },
  role: { zh: '角色', en: 'Role' },
  display_name_zh: { zh: '中文姓名', en: 'Chinese display name' },
  username_rule: { zh: '1–64 个字符：字母、数字、点、下划线或连字符', en: '1–64 characters: letters, digits, dot, underscore or hyphen' },
  user_add: { zh: '添加用户', en: 'Add a user' },
  user_add_button: { zh: '添加并生成初始密码', en: 'Add and generate a password' },
  user_added: { zh: '已添加 {user}', en: '{user} added' },
  users_list: { zh: '全部用户', en: 'All users' },
  users_count: { zh: '共 {n} 个用户', en: '{n} users' },
  users_note: {
    zh: '用户不会被删除（审计日志需要保留其姓名）：停用后可随时重新启用。停用、更改角色或重置密码会立即结束该用户的登录会话。',
    en: 'Users are never deleted (the audit log names them): a disabled user can be re-enabled at any time. Disabling, a role change or a password reset ends the user\u2019s sessions at once.',
  },
  user_you: { zh: '本人', en: 'you' },
  status_active: { zh: '正常', en: 'active' },
  status_disabled: { zh: '已停用', en: 'disabled' },
  status_locked: { zh: '已锁定（多次密码错误）', en: 'locked (failed sign-ins)' },
  last_login: { zh: '最近登录', en: 'Last sign-in' },
  created: { zh: '创建时间', en: 'Created' },
  never: { zh: '从未登录', en: 'never' },
  role_change: { zh: '更改角色', en: 'Change role' },
  role_changed: { zh: '角色已更改', en: 'Role changed' },
  display_name_save: { zh: '保存姓名', en: 'Save name' },
  contact: { zh: '联系方式', en: 'Contact' },
  contact_hint: { zh: '手机号或企业微信账号', en: 'Mobile number or WeChat Work ID' },
  contact_save: { zh: '保存联系方式', en: 'Save contact' },
  password_reset: { zh: '重置密码', en: 'Reset password' },
  password_reset_q: { zh: '为 {user} 生成新密码？旧密码立即失效，其登录会话将结束；下次登录时须设置本人的新密码。', en: 'Generate a new password for {user}? The old one stops working, their sessions end, and they choose their own at the next sign-in.' },
  must_change_password: { zh: '待本人修改密码', en: 'must change password' },
  password_reset_ok: { zh: '密码已重置', en: 'Password reset' },
  password_reset_done: { zh: '{user} 的新密码：', en: 'New password for {user}:' },
  password_new_user: { zh: '{user} 的初始密码：', en: 'Initial password for {user}:' },
  password_once: {
    zh: '密码只显示这一次，服务器只保存其加盐哈希。请当面或电话告知本人，不要通过聊天软件发送。',
    en: 'Shown this once only: the server keeps only a salted hash. Tell the user in person or by phone, not by chat.',
  },
  password_done: { zh: '我已记下，隐藏', en: 'Noted, hide it' },
  user_disable: { zh: '停用', en: 'Disable' },
  user_disable_q: { zh: '停用 {user}？其无法再登录，当前会话立即结束。', en: 'Disable {user}? They can no longer sign in; their sessions end now.' },
  user_disabled: { zh: '已停用', en: 'Disabled' },
  user_enable: { zh: '重新启用', en: 'Re-enable' },
  user_enabled: { zh: '已重新启用', en: 'Re-enabled' },
  admin_err_user_exists: { zh: '该用户名已存在', en: 'That user name exists already' },
  admin_err_user_disabled: { zh: '该用户已存在但被停用：请在下方列表中重新启用', en: 'That user exists but is disabled: re-enable it in the list below' },
  admin_err_self: { zh: '不能停用自己、更改自己的角色或重置自己的密码', en: 'You cannot disable yourself, change your own role or reset your own password' },
  admin_err_last_admin: { zh: '至少需要保留一名启用的管理员', en: 'At least one enabled admin must remain' },
  admin_err_not_found: { zh: '未找到该用户', en: 'No such user' },
  admin_err_csrf: { zh: '安全校验失败，请刷新页面后重试', en: 'Security check failed: reload the page and try again' },
  admin_err_bad_request: { zh: '输入有误，请检查后重试', en: 'Invalid input: check and try again' },
  admin_err_display_name_invalid: { zh: '中文姓名最多 64 个字，且不能含控制字符', en: 'The display name: at most 64 characters, no control characters' },
  admin_err_shift_times: { zh: '结束时间必须晚于开始时间', en: 'The end must be after the start' },
  admin_err_shift_too_long: { zh: '一个班次最长 7 天', en: 'A shift lasts at most 7 days' },
  admin_err_shift_over: { zh: '该班次已经结束', en: 'That shift is over already' },
  admin_err_roster_user: { zh: '值班人员必须是已启用的用户（{msg}）', en: 'People on call must be enabled users ({msg})' },
  roster_now: { zh: '当前值班：', en: 'On call now:' },
  roster_nobody: { zh: '当前无人值班：危急警报将无人可呼叫！', en: 'Nobody is on call now: critical alerts page nobody!' },
  roster_shifts: { zh: '班次（昨天起）', en: 'Shifts (from yesterday on)' },
  roster_empty: { zh: '尚未排班', en: 'No shifts' },
  roster_current: { zh: '当前', en: 'now' },
  roster_primary: { zh: '一线', en: 'Primary' },
  roster_backup: { zh: '二线', en: 'Backup' },
  roster_level: { zh: '第 {n} 级', en: 'Level {n}' },
  roster_unknown_user: { zh: '未知用户', en: 'unknown user' },
  roster_set: { zh: '设置班次', en: 'Set a shift' },
  roster_set_note: {
    zh: '时间按中心时区（{tz}）。新班次只替换它覆盖的时段，其余班次保持不变；未应答的警报依次呼叫一线、二线、第 3 级。',
    en: 'Times in the centre\u2019s zone ({tz}). A new shift replaces only the time it covers; other shifts stay. Unacknowledged alerts page the primary, then the backup, then level 3.',
  },
  roster_start: { zh: '开始', en: 'Start' },
  roster_end: { zh: '结束', en: 'End' },
  roster_choose: { zh: '请选择', en: 'Choose' },
  roster_none: { zh: '（无）', en: '(none)' },
  roster_save: { zh: '保存班次', en: 'Save shift' },
  roster_saved: { zh: '班次已保存', en: 'Shift saved' },
  roster_need_primary: { zh: '请选择一线值班医生', en: 'Choose the primary' },
  roster_twice: { zh: '同一人不能在同一班次中出现两次', en: 'The same person twice in one shift' },
  roster_bad_times: { zh: '结束时间必须晚于开始时间', en: 'The end must be after the start' },
  audit_user: { zh: '用户', en: 'User' },
  audit_action: { zh: '操作', en: 'Action' },
  audit_target: { zh: '对象', en: 'Target' },
  audit_from: { zh: '起始日期', en: 'From' },
  audit_to: { zh: '截止日期', en: 'To' },
  audit_search: { zh: '查询', en: 'Search' },
  audit_time: { zh: '时间', en: 'Time' },
  audit_actor: { zh: '操作者', en: 'Actor' },
  audit_detail: { zh: '详情', en: 'Detail' },
  audit_export: { zh: '导出 CSV（全部符合条件的记录）', en: 'Export CSV (every matching entry)' },
  audit_export_audit: { zh: '导出审计日志', en: 'exported the audit log' },
  audit_more: { zh: '加载更早的记录', en: 'Load older entries' },
  audit_count: { zh: '共 {n} 条', en: '{n} entries' },
  audit_count_more: { zh: '已显示最新 {n} 条，还有更早的记录', en: 'Newest {n} shown; older entries follow' },
  audit_empty: { zh: '没有符合条件的记录', en: 'No matching entries' },
  audit_bad_dates: { zh: '截止日期不能早于起始日期', en: 'The end date is before the start date' },
  audit_note: {
    zh: '只读，最新在前。日期按中心时区，截止日期包含当天。用户按操作者筛选（如 dr.li 匹配 station:dr.li）。',
    en: 'Read-only, newest first. Dates in the centre\u2019s zone, the end date included. User filters by actor (dr.li matches station:dr.li).',
  },
  audit_login: { zh: '登录', en: 'signed in' },
  audit_login_failed: { zh: '登录失败', en: 'sign-in failed' },
  audit_login_refused: { zh: '登录被拒（账户锁定）', en: 'sign-in refused (locked)' },
  audit_user_locked: { zh: '账户被锁定', en: 'account locked' },
  audit_logout: { zh: '退出登录', en: 'signed out' },
  audit_session_expired: { zh: '会话过期', en: 'session expired' },
  audit_user_add: { zh: '添加用户', en: 'user added' },
  audit_user_disable: { zh: '停用用户', en: 'user disabled' },
  audit_user_enable: { zh: '重新启用用户', en: 'user re-enabled' },
  audit_user_role: { zh: '更改角色', en: 'role changed' },
  audit_user_display_name: { zh: '更改中文姓名', en: 'display name changed' },
  audit_user_contact: { zh: '更改联系方式', en: 'contact changed' },
  audit_user_password_reset: { zh: '重置密码', en: 'password reset' },
  audit_password_change: { zh: '本人修改密码', en: 'own password changed' },
  audit_password_change_refused: { zh: '修改密码被拒', en: 'password change refused' },
  audit_view_reports: { zh: '查看诊断报告', en: 'viewed signed reports' },
  audit_roster_set: { zh: '设置值班表', en: 'roster set' },
  audit_view_roster: { zh: '查看值班表', en: 'viewed the roster' },
  audit_view_users: { zh: '查看用户列表', en: 'viewed the users' },
  audit_view_audit: { zh: '查看审计日志', en: 'viewed the audit log' },
  audit_view_worklist: { zh: '查看工作列表', en: 'viewed the worklist' },
  audit_search_patient: { zh: '搜索患者', en: 'searched a patient' },
  audit_view_study: { zh: '查看检查', en: 'viewed a study' },
  audit_view_samples: { zh: '查看波形', en: 'viewed samples' },
  audit_view_case: { zh: '查看病例', en: 'viewed a case' },
  audit_view_alert: { zh: '查看警报', en: 'viewed an alert' },
  audit_view_report: { zh: '查看质控报表', en: 'viewed a report' },
  audit_export_study: { zh: '导出检查', en: 'exported a study' },
  audit_diagnosis: { zh: '签署诊断报告', en: 'report signed' },
  audit_record_node: { zh: '记录时间节点', en: 'time node recorded' },
  audit_alert_acknowledge: { zh: '应答警报', en: 'alert acknowledged' },
  audit_alert_confirm: { zh: '确诊 STEMI', en: 'STEMI confirmed' },
  audit_alert_reject: { zh: '排除警报', en: 'alert rejected' },
  audit_alert_green_channel: { zh: '开启绿色通道', en: 'green channel opened' },
  audit_alert_close: { zh: '关闭警报', en: 'alert closed' },
  audit_case_open: { zh: '建立病例', en: 'case opened' },
  audit_case_state: { zh: '病例状态变更', en: 'case state changed' },
  audit_case_outcome: { zh: '病例结局变更', en: 'case outcome set' },
  audit_case_import: { zh: '导入病例', en: 'cases imported' },
  audit_device_add: { zh: '登记设备', en: 'device registered' },
  audit_device_revoke: { zh: '吊销设备', en: 'device revoked' },
  // alarm
  alarm_banner: {
    zh: '危急警报：{n} 例疑似 STEMI 未应答 — 点击查看',
    en: 'CRITICAL: {n} suspected STEMI not acknowledged — click to open',
  },
  page_notice: {
    zh: '升级呼叫：警报 #{id} 未在时限内应答，已呼叫 {who}（第 {level} 级，{at}）',
    en: 'Escalation: alert #{id} not acknowledged in time, paged {who} (level {level}, {at})',
  },
  page_nobody: { zh: '无人值班', en: 'nobody on call' },
  // worklist
  filter_tier: { zh: '级别', en: 'Tier' },
  filter_clinic: { zh: '诊所', en: 'Clinic' },
  filter_scope: { zh: '范围', en: 'Scope' },
  filter_dates: { zh: '按日期', en: 'By date' },
  filter_from: { zh: '警报日期从', en: 'Raised from' },
  filter_to: { zh: '至', en: 'to' },
  all: { zh: '全部', en: 'all' },
  scope_open: { zh: '未关闭', en: 'open' },
  scope_all: { zh: '全部', en: 'all' },
  col_tier: { zh: '级别', en: 'Tier' },
  col_state: { zh: '状态', en: 'State' },
  col_clinic: { zh: '诊所', en: 'Clinic' },
  col_patient: { zh: '患者', en: 'Patient' },
  col_category: { zh: '分类', en: 'Category' },
  col_read: { zh: '自动判读', en: 'Automatic read' },
  col_raised: { zh: '警报时间', en: 'Raised' },
  col_fmc: { zh: '距首次医疗接触', en: 'Since FMC' },
  col_ack: { zh: '应答', en: 'Acknowledged' },
  col_actions: { zh: '操作', en: 'Actions' },
  worklist_empty: { zh: '暂无警报', en: 'No alerts' },
  worklist_count: { zh: '共 {n} 条', en: '{n} alerts' },
  years: { zh: '{n}岁', en: '{n} y' },
  sex_M: { zh: '男', en: 'M' },
  sex_F: { zh: '女', en: 'F' },
  chest_pain: { zh: '胸痛', en: 'chest pain' },
  open_study: { zh: '查看心电图', en: 'Open ECG' },
  // tiers, states, categories
  tier_critical: { zh: '危急', en: 'critical' },
  tier_urgent: { zh: '紧急', en: 'urgent' },
  tier_routine: { zh: '常规', en: 'routine' },
  state_raised: { zh: '新警报', en: 'raised' },
  state_acknowledged: { zh: '已应答', en: 'acknowledged' },
  state_confirmed: { zh: '已确诊', en: 'confirmed' },
  state_rejected: { zh: '已排除', en: 'rejected' },
  state_green_channel: { zh: '绿色通道已开启', en: 'green channel open' },
  state_closed: { zh: '已关闭', en: 'closed' },
  cat_stemi: { zh: 'STEMI', en: 'STEMI' },
  cat_stemi_equivalent: { zh: 'STEMI 等危', en: 'STEMI equivalent' },
  cat_confounded: { zh: '存在干扰因素', en: 'confounded' },
  cat_abnormal: { zh: '异常', en: 'abnormal' },
  cat_normal: { zh: '正常', en: 'normal' },
  cat_poor_quality: { zh: '质量差，请重做', en: 'poor quality: repeat' },
  // confounders (triage Finding.confounders keys)
  conf_lbbb: { zh: '左束支传导阻滞', en: 'LBBB' },
  conf_paced: { zh: '心室起搏', en: 'ventricular pacing' },
  conf_ivcd: { zh: 'QRS 显著增宽（室内阻滞）', en: 'wide QRS (IVCD)' },
  conf_lvh: { zh: '左心室肥厚', en: 'LVH' },
  conf_early_repolarization: { zh: '早复极', en: 'early repolarisation' },
  conf_pericarditis: { zh: '心包炎样改变', en: 'pericarditis pattern' },
  conf_brugada: { zh: 'Brugada 1 型', en: 'Brugada type 1' },
  conf_rbbb: { zh: '右束支阻滞继发 ST-T 改变', en: 'RBBB, secondary ST-T' },
  conf_ivcd_secondary: { zh: 'QRS 增宽继发 ST-T 改变', en: 'wide QRS, secondary ST-T' },
  conf_lv_aneurysm: { zh: '陈旧心梗/室壁瘤', en: 'old MI / LV aneurysm' },
  conf_normal_variant: { zh: '正常变异（早复极/男性型）', en: 'normal variant (early repolarisation / male pattern)' },
  // actions
  act_acknowledge: { zh: '应答', en: 'Acknowledge' },
  act_confirm: { zh: '确诊 STEMI', en: 'Confirm STEMI' },
  act_reject: { zh: '排除', en: 'Reject' },
  act_green_channel: { zh: '开启绿色通道', en: 'Open green channel' },
  act_close: { zh: '关闭', en: 'Close' },
  reject_reason: { zh: '排除原因（必填）', en: 'Reason for rejection (required)' },
  reason_required: { zh: '请填写排除原因', en: 'A reason is required' },
  instructions_zh: { zh: '给诊所的指示（中文，可选）', en: 'Instructions to the clinic (Chinese, optional)' },
  instructions_en: { zh: '给诊所的指示（英文，可选）', en: 'Instructions to the clinic (English, optional)' },
  action_failed: { zh: '操作失败：{msg}', en: 'Action failed: {msg}' },
  action_forbidden: { zh: '当前角色无权执行此操作', en: 'Your role may not do this' },
  action_conflict: { zh: '当前状态不允许此操作（可能已被他人处理）', en: 'Not allowed in the current state (someone may have acted already)' },
  // signed report (issue 15): the automatic read confirmed or amended as coded statements
  report_title: { zh: '诊断报告（签名）', en: 'Signed report' },
  report_compose: { zh: '书写报告', en: 'Write the report' },
  report_from_read: { zh: '自动判读的陈述（勾选保留）', en: 'Statements of the automatic read (tick to keep)' },
  report_no_read_statements: { zh: '自动判读没有编码陈述', en: 'The automatic read has no coded statements' },
  report_added: { zh: '补充的陈述', en: 'Statements added' },
  report_add: { zh: '从术语表添加陈述', en: 'Add a statement from the vocabulary' },
  report_search: { zh: '搜索陈述（中文、英文或编码）', en: 'Search statements (English, Chinese or code)' },
  report_choose: { zh: '请选择陈述', en: 'Choose a statement' },
  report_leads: { zh: '导联（可选，如 V1 V2 V3）', en: 'Leads (optional, e.g. V1 V2 V3)' },
  report_add_button: { zh: '添加', en: 'Add' },
  report_remove: { zh: '移除', en: 'Remove' },
  report_text: { zh: '补充说明（自由文本，可选）', en: 'Comment (free text, optional)' },
  report_confirm: { zh: '确认自动判读无误并签名', en: 'Confirm the read as is and sign' },
  report_sign: { zh: '签署修改后的报告', en: 'Sign the amended report' },
  report_signed: { zh: '已签名', en: 'Signed' },
  report_empty: { zh: '请至少保留或添加一条陈述，或填写说明', en: 'Keep or add at least one statement, or write a comment' },
  report_confirm_changed: {
    zh: '您已修改了自动判读的陈述：请用“签署修改后的报告”',
    en: 'You changed the read’s statements: use “sign the amended report”',
  },
  report_err_unknown_statement: { zh: '术语表中没有该陈述', en: 'That statement is not in the vocabulary' },
  report_err_basis_mismatch: { zh: '确认自动判读时不能修改其陈述', en: 'Confirming the read keeps its statements unchanged' },
  report_err_bad_leads: { zh: '导联名称无法识别：{leads}', en: 'Unknown lead names: {leads}' },
  report_none: { zh: '尚无签名报告', en: 'No signed report yet' },
  report_history: { zh: '报告记录（最新在前）', en: 'Reports (newest first)' },
  report_current: { zh: '当前报告', en: 'current' },
  report_superseded: { zh: '已被更正', en: 'superseded' },
  report_signed_by: { zh: '签名：{who}，{at}', en: 'Signed by {who} at {at}' },
  basis_confirmed: { zh: '确认自动判读', en: 'automatic read confirmed' },
  basis_amended: { zh: '修改后诊断', en: 'amended' },
  report_by_reader: { zh: '医师补充', en: 'added by the reader' },
  report_comment: { zh: '说明', en: 'Comment' },
  // own password (issue 15)
  pw_menu: { zh: '修改密码', en: 'Change password' },
  pw_title: { zh: '修改密码', en: 'Change your password' },
  pw_user: { zh: '账户：{user}', en: 'Account: {user}' },
  pw_forced: {
    zh: '管理员已重置您的密码：请先设置只有您本人知道的新密码，再继续使用阅读站。',
    en: 'An admin reset your password: choose a new one only you know before using the station.',
  },
  pw_rules: {
    zh: '至少 10 个字符，不能与用户名或当前密码相同。修改后，您在其他设备上的登录会话将结束。',
    en: 'At least 10 characters, not your user name or current password. Your sessions on other devices end.',
  },
  pw_current: { zh: '当前密码', en: 'Current password' },
  pw_new: { zh: '新密码', en: 'New password' },
  pw_again: { zh: '再次输入新密码', en: 'New password again' },
  pw_submit: { zh: '修改密码', en: 'Change password' },
  pw_done: { zh: '密码已修改', en: 'Password changed' },
  pw_err_wrong: { zh: '当前密码错误', en: 'The current password is wrong' },
  pw_err_weak: { zh: '新密码不符合要求：至少 10 个字符，且不能与用户名或当前密码相同', en: 'The new password does not meet the rules: at least 10 characters, not the user name or the current password' },
  pw_err_short: { zh: '新密码至少 10 个字符', en: 'The new password needs at least 10 characters' },
  pw_err_mismatch: { zh: '两次输入的新密码不一致', en: 'The two new passwords differ' },
  pw_err_same: { zh: '新密码不能与当前密码相同', en: 'The new password must differ from the current one' },
  saved: { zh: '已保存', en: 'Saved' },
  record_node: { zh: '记录时间节点', en: 'Record time node' },
  node_kind: { zh: '节点', en: 'Node' },
  node_time: { zh: '时间（留空为当前服务器时间）', en: 'Time (empty: server time now)' },
  node_note: { zh: '备注', en: 'Note' },
  node_supersedes: { zh: '更正的序号（可选）', en: 'Corrects seq (optional)' },
  record: { zh: '记录', en: 'Record' },
  // study view
  back: { zh: '← 返回工作列表', en: '← Back to worklist' },
  study: { zh: '检查', en: 'Study' },
  acquired: { zh: '采集时间', en: 'Acquired' },
  source_file: { zh: '来源文件', en: 'From file' },
  speed: { zh: '走纸速度', en: 'Paper speed' },
  gain: { zh: '增益', en: 'Gain' },
  zoom: { zh: '缩放', en: 'Zoom' },
  mm_per_s: { zh: '{v} mm/s', en: '{v} mm/s' },
  mm_per_mv: { zh: '{v} mm/mV', en: '{v} mm/mV' },
  twelve_lead: { zh: '12 导联心电图', en: '12-lead ECG' },
  rhythm_strip: { zh: '节律条', en: 'rhythm strip' },
  extra_leads: { zh: '附加导联（后壁 V7–V9，右胸 V3R–V5R）', en: 'Extra leads (posterior V7–V9, right V3R–V5R)' },
  median_beats: { zh: '中位心搏与基准点', en: 'Median beats with fiducials' },
  fid_qrs_onset: { zh: 'QRS 起点', en: 'QRS onset' },
  fid_j: { zh: 'J 点', en: 'J point' },
  fid_j60: { zh: 'J+60 ms', en: 'J+60 ms' },
  fid_t_end: { zh: 'T 波终点', en: 'T end' },
  no_median: { zh: '无中位心搏数据', en: 'No median beat' },
  no_samples: { zh: '无波形数据', en: 'No samples' },
  derived_leads: { zh: '推导导联：{leads}', en: 'Derived leads: {leads}' },
  measurements: { zh: '测量值', en: 'Measurements' },
  auto_read: { zh: '自动判读', en: 'Automatic read' },
  auto_read_zh: { zh: '中文', en: 'Chinese' },
  auto_read_en: { zh: '英文', en: 'English' },
  no_analysis: { zh: '尚无分析结果', en: 'No analysis yet' },
  territories: { zh: '梗死部位', en: 'Territories' },
  confounders: { zh: '干扰因素', en: 'Confounders' },
  statements: { zh: '判读陈述（编码）', en: 'Coded statements' },
  notes: { zh: '备注', en: 'Notes' },
  quality_problems: { zh: '信号质量问题', en: 'Signal quality problems' },
  culprit: { zh: '罪犯血管提示', en: 'Culprit hints' },
  lead: { zh: '导联', en: 'Lead' },
  st_j: { zh: 'ST(J) µV', en: 'ST at J µV' },
  st_late: { zh: 'ST(J+{ms}) µV', en: 'ST at J+{ms} µV' },
  q_amp: { zh: 'Q µV', en: 'Q µV' },
  r_amp: { zh: 'R µV', en: 'R µV' },
  s_amp: { zh: 'S µV', en: 'S µV' },
  t_amp: { zh: 'T µV', en: 'T µV' },
  threshold: { zh: '阈值 µV', en: 'Threshold µV' },
  prev_st_j: { zh: '前次 ST(J)', en: 'Previous ST at J' },
  delta_st: { zh: 'ΔST(J)', en: 'ΔST at J' },
  hr: { zh: '心率', en: 'HR' },
  pr: { zh: 'PR', en: 'PR' },
  qrs: { zh: 'QRS', en: 'QRS' },
  qt: { zh: 'QT', en: 'QT' },
  qtc: { zh: 'QTc', en: 'QTc' },
  axis: { zh: 'QRS 电轴', en: 'QRS axis' },
  st_elev_label: { zh: 'ST↑ {mv} mV', en: 'ST↑ {mv} mV' },
  st_dep_label: { zh: 'ST↓ {mv} mV', en: 'ST↓ {mv} mV' },
  serial: { zh: '与前次心电图比较', en: 'Serial comparison' },
  serial_prev: { zh: '前次检查 #{id}，{at}', en: 'Previous study #{id}, {at}' },
  serial_none: { zh: '无前次心电图', en: 'No previous ECG' },
  alerts: { zh: '警报', en: 'Alerts' },
  open_case: { zh: '查看病例时间轴', en: 'Open case timeline' },
  // case view
  case_title: { zh: '病例 #{id}', en: 'Case #{id}' },
  case_opened: { zh: '建立', en: 'Opened' },
  case_state: { zh: '状态', en: 'State' },
  case_outcome: { zh: '结局', en: 'Outcome' },
  outcome_pending: { zh: '待定', en: 'pending' },
  outcome_stemi: { zh: 'STEMI', en: 'STEMI' },
  outcome_not_stemi: { zh: '非 STEMI', en: 'not STEMI' },
  timeline: { zh: '时间节点', en: 'Time nodes' },
  col_seq: { zh: '序号', en: 'Seq' },
  col_node: { zh: '节点', en: 'Node' },
  col_raw: { zh: '原始时间', en: 'Raw time' },
  col_corrected: { zh: '校正时间', en: 'Corrected' },
  col_source: { zh: '来源', en: 'Source' },
  col_actor: { zh: '记录人', en: 'Actor' },
  col_clock: { zh: '时钟', en: 'Clock' },
  col_note: { zh: '备注', en: 'Note' },
  superseded_by_later: { zh: '已被更正', en: 'superseded' },
  corrects_seq: { zh: '更正 #{seq}', en: 'corrects #{seq}' },
  intervals: { zh: '时间间隔与目标', en: 'Intervals against targets' },
  col_interval: { zh: '间隔', en: 'Interval' },
  col_minutes: { zh: '分钟', en: 'Minutes' },
  col_target: { zh: '目标（分钟）', en: 'Target (min)' },
  col_met: { zh: '达标', en: 'Met' },
  col_missing: { zh: '缺少', en: 'Missing' },
  met_yes: { zh: '达标', en: 'met' },
  met_no: { zh: '未达标', en: 'missed' },
  violations: { zh: '顺序异常', en: 'Order violations' },
  no_violations: { zh: '无顺序异常', en: 'No order violations' },
  transitions: { zh: '警报处理记录', en: 'Alert transitions' },
  // reports
  report_month: { zh: '月份', en: 'Month' },
  report_clinic: { zh: '诊所（留空为全部）', en: 'Clinic (empty: all)' },
  report_show: { zh: '生成报表', en: 'Show report' },
  report_open: { zh: '在新窗口打开报表', en: 'Open the report in a new window' },
  report_csv: { zh: '下载 CSV', en: 'Download CSV' },
  report_json: { zh: '下载 JSON', en: 'Download JSON' },
  report_note: {
    zh: '报表为独立 HTML 文件（含 SVG 图表），可打印或存档。',
    en: 'The report is a self-contained HTML file (SVG charts) to print or archive.',
  },
  // phone cards, alerts that reach a sleeping tab, theme (issue 15)
  app_short: { zh: '心电阅读站', en: 'ECG station' },
  col_arrival: { zh: '距到达', en: 'Since arrival' },
  minutes: { zh: '{n} 分钟', en: '{n} min' },
  search_patient: { zh: '搜索患者编号', en: 'Search patient id' },
  kbd_help: { zh: '键盘：j/k 上下，n 下一条危急警报，a 应答，Enter 打开', en: 'Keys: j/k move, n next critical alert, a acknowledge, Enter open' },
  load_more: { zh: '显示更多', en: 'Show more' },
  worklist_count_more: { zh: '已显示 {n} 条，还有更多', en: '{n} shown, more below' },
  search_count: { zh: '找到 {n} 条（已显示 {shown} 条）', en: '{n} found ({shown} shown)' },
  card_fmc: { zh: '距FMC', en: 'FMC' },
  card_arrival: { zh: '距到达', en: 'arrived' },
  sound_off: { zh: '声音已关闭 — 点击开启', en: 'Sound is off — tap to enable' },
  sound_on: { zh: '声音已开启', en: 'Sound on' },
  notify_explain: {
    zh: '允许系统通知：本页在后台或锁屏时，新的危急警报（疑似 STEMI）也会以系统通知提醒您。',
    en: 'Allow system notifications so that a new critical alert (suspected STEMI) reaches you while this tab is in the background.',
  },
  notify_allow: { zh: '允许通知', en: 'Allow notifications' },
  notify_later: { zh: '以后再说', en: 'Not now' },
  notify_denied: { zh: '系统通知已被浏览器禁止，请在浏览器设置中允许', en: 'Notifications are blocked: allow them in the browser settings' },
  notify_title: { zh: '危急警报：疑似 STEMI', en: 'Critical alert: suspected STEMI' },
  title_alarm: { zh: '【{n} 例危急】', en: '[{n} CRITICAL] ' },
  theme_toggle: { zh: '切换深色/浅色', en: 'Toggle dark / light' },
  theme_auto: { zh: '主题：跟随系统', en: 'Theme: system' },
  theme_dark: { zh: '主题：深色', en: 'Theme: dark' },
  theme_light: { zh: '主题：浅色', en: 'Theme: light' },
  session_expired_return: { zh: '会话已过期，请重新登录；登录后将回到您要查看的页面', en: 'Session expired: sign in again to return to the page you asked for' },
  // closing a critical alert
  close_reason: { zh: '关闭原因（危急警报必填）', en: 'Reason for closing (required for a critical alert)' },
  close_reason_required: { zh: '关闭危急警报须填写原因', en: 'Closing a critical alert needs a reason' },
  close_confirm_q: { zh: '确认关闭危急警报 #{id}？关闭后报警与升级呼叫停止。', en: 'Close critical alert #{id}? Its alarm and escalation stop.' },
  close_confirm_yes: { zh: '确认关闭', en: 'Yes, close it' },
  cancel: { zh: '取消', en: 'Cancel' },
  clinic_messages: { zh: '发送给诊所的消息', en: 'Messages sent to the clinic' },
  clinic_messages_none: { zh: '尚未向诊所发送消息', en: 'Nothing sent to the clinic yet' },
  gc_instructions: { zh: '绿色通道指示', en: 'Green-channel instructions' },
  msg_reason: { zh: '原因', en: 'reason' },
  // ECG viewer
  zoom_fit: { zh: '适应屏幕', en: 'Fit' },
  caliper: { zh: '卡尺', en: 'Calipers' },
  caliper_hint: { zh: '在心电图上点两下测量', en: 'Tap two points on the tracing' },
  caliper_result: { zh: 'Δt {ms} ms（{bpm} 次/分） · ΔV {mv} mV', en: 'Δt {ms} ms ({bpm} bpm) · ΔV {mv} mV' },
  ecg_alt: {
    zh: '12 导联心电图，{speed} mm/s，{gain} mm/mV。{read}',
    en: '12-lead ECG, {speed} mm/s, {gain} mm/mV. {read}',
  },
  territory_posterior: { zh: '后壁', en: 'posterior' },
  territory_right: { zh: '右室', en: 'right ventricle' },
  // case view values
  case_state_open: { zh: '进行中', en: 'open' },
  case_state_closed: { zh: '已结束', en: 'closed' },
  source_cart: { zh: '心电图机', en: 'cart' },
  source_station: { zh: '阅读站', en: 'station' },
  source_server: { zh: '服务器', en: 'server' },
  source_cli: { zh: '命令行', en: 'command line' },
  source_import: { zh: '导入', en: 'import' },
  clock_server: { zh: '服务器时钟', en: 'server clock' },
  clock_cart: { zh: '心电图机时钟', en: 'cart clock' },
  clock_device: { zh: '设备时钟', en: 'device clock' },
  clock_corrected: { zh: '已校正', en: 'corrected' },
  clock_manual: { zh: '手工录入', en: 'manual' },
  missing_not_recorded: { zh: '{what} 未记录', en: '{what} not recorded' },
  missing_before: { zh: '{a} 早于 {b}（顺序异常）', en: '{a} is before {b} (order violation)' },
  missing_applies: { zh: '仅适用于 {p}，本病例为 {c}', en: 'applies to {p}, case is {c}' },
  pathway_primary_pci: { zh: '直接 PCI', en: 'primary PCI' },
  pathway_transfer_pci: { zh: '转运 PCI', en: 'transfer PCI' },
  pathway_lysis: { zh: '溶栓', en: 'thrombolysis' },
  pathway_not_stemi: { zh: '非 STEMI', en: 'not STEMI' },
  pathway_unknown: { zh: '未定', en: 'unknown' },
  or_word: { zh: '或', en: 'or' },
  // signal quality problem kinds (dsp::QualityProblem; triage/src/evaluate.cpp quality_kind_zh)
  qp_flat: { zh: '直线（无信号）', en: 'flat line (no signal)' },
  qp_lead_off: { zh: '导联脱落', en: 'lead off' },
  qp_saturation: { zh: '信号饱和', en: 'saturation' },
  qp_hf_noise: { zh: '高频噪声（肌电干扰）', en: 'high-frequency noise (muscle)' },
  qp_baseline_wander: { zh: '基线漂移', en: 'baseline wander' },
  qp_mains: { zh: '工频干扰', en: 'mains interference' },
  qp_too_few_beats: { zh: '可分析心搏过少', en: 'too few beats to analyse' },
  qp_too_short: { zh: '记录过短', en: 'record too short' },
  qp_invalid_samples: { zh: '无效采样点', en: 'invalid samples' },
  qp_recording_stopped: { zh: '记录提前中止（末段各导联均为直线）', en: 'recording stopped early (all leads flat at the end)' },
  qp_too_many_bad_leads: { zh: '不可用导联过多', en: 'too many unusable leads' },
  qp_key_leads_unusable: { zh: '关键导联不可用', en: 'key leads unusable' },
  qp_delineation_failed: { zh: '波形定位失败', en: 'wave delineation failed' },
  qp_other: { zh: '信号质量问题', en: 'signal quality problem' },
  // generic
  loading: { zh: '加载中…', en: 'Loading…' },
  not_found: { zh: '未找到', en: 'Not found' },
  forbidden: { zh: '无权访问', en: 'Forbidden' },
  error: { zh: '错误：{msg}', en: 'Error: {msg}' },
  none: { zh: '—', en: '—' },
  yes: { zh: '是', en: 'yes' },
  no: { zh: '否', en: 'no' },
};

// Time-node kinds (workflow/src/nodes.cpp: stable keys, 中国胸痛中心 field names).
export const NODE_KINDS = [
  ['symptom_onset', '发病', 'symptom onset'],
  ['call_for_help', '呼叫120', 'call for help'],
  ['fmc', '首次医疗接触', 'first medical contact'],
  ['first_ecg', '首份心电图', 'first ECG'],
  ['ecg_transmitted', '传输', 'ECG transmitted'],
  ['ecg_diagnosis', '确诊', 'ECG diagnosis'],
  ['dapt_loading', '双抗给药', 'DAPT loading'],
  ['cath_lab_activation_decision', '启动导管室', 'cath lab activation decision'],
  ['ambulance_dispatch', '救护车出车', 'ambulance dispatch'],
  ['door_out', '转出', 'door-out (referring clinic)'],
  ['door_in', '入门', 'door-in'],
  ['cath_lab_team_activated', '导管室激活', 'cath lab team activated'],
  ['cath_lab_arrival', '到达导管室', 'cath lab arrival'],
  ['arterial_puncture', '穿刺', 'arterial puncture'],
  ['angiography_start', '造影开始', 'angiography start'],
  ['wire_crossing', '导丝通过', 'wire crossing'],
  ['procedure_end', '手术结束', 'procedure end'],
  ['thrombolysis_start', '溶栓开始', 'thrombolysis start'],
  ['thrombolysis_end', '溶栓结束', 'thrombolysis end'],
];

// Territory keys (triage/src/names.cpp).
const TERRITORIES = {
  septal: ['前间壁', 'septal'],
  anteroseptal: ['前间壁', 'anteroseptal'],
  anterior: ['前壁', 'anterior'],
  extensive_anterior: ['广泛前壁', 'extensive anterior'],
  lateral: ['侧壁', 'lateral'],
  high_lateral: ['高侧壁', 'high lateral'],
  inferior: ['下壁', 'inferior'],
  posterior: ['后壁', 'posterior'],
  right_ventricle: ['右室', 'right ventricle'],
};

const LANG_KEY = 'gc.lang';
let lang = 'zh';
try {
  const saved = window.localStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'zh') lang = saved;
} catch {
  // storage unavailable: keep the default
}

const listeners = new Set();

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (next !== 'zh' && next !== 'en') return;
  lang = next;
  try {
    window.localStorage.setItem(LANG_KEY, next);
  } catch {
    // ignore
  }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  applyStatic(document);
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function t(key, params) {
  const entry = STRINGS[key];
  let s = entry ? entry[lang] ?? entry.en : key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }
  return s;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(STRINGS, key);
}

// A label for a key family ("tier", "critical") falling back to the raw key.
export function label(prefix, key) {
  const k = `${prefix}_${key}`;
  return has(k) ? t(k) : String(key ?? '');
}

// Server sentences (the alert summary) may name a quality problem or a confounder by its key
// ("poor quality: hf_noise V1"): each known key becomes its words in the current language.
export function humanize(text, as = lang) {
  return String(text ?? '').replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, (k) => {
    for (const prefix of ['qp', 'conf', 'cat', 'state']) {
      const entry = STRINGS[`${prefix}_${k}`];
      if (entry) return entry[as] ?? entry.en;
    }
    return k;
  });
}

// The alert's one-line read in the reader's language.
export function summaryOf(item) {
  const zh = item.summary_zh || '';
  const en = item.summary_en || '';
  return humanize(lang === 'zh' ? zh || en : en || zh);
}

export function nodeLabel(kind) {
  const row = NODE_KINDS.find((r) => r[0] === kind);
  if (!row) return kind;
  return lang === 'zh' ? row[1] : row[2];
}

export function territoryLabel(key) {
  const row = TERRITORIES[key];
  if (!row) return key;
  return lang === 'zh' ? row[0] : row[1];
}

// Fills elements carrying data-i18n (text) and data-i18n-placeholder / data-i18n-title.
export function applyStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
}

export const strings = STRINGS;
