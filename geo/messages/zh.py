"""The zh-CN texts of the server's messages, by id; parameters are ``{name}`` (str.format)."""

from __future__ import annotations

# Ids are ``area.what``; an id, once used, keeps its meaning (clients may key on it). Every id
# here has an English text in en.py with the same parameters (tests/geo/test_messages.py).
ZH: dict[str, str] = {
    # Signing in (401) and rate limits (429)
    "auth.bad_login": "用户名或密码错误",
    "auth.expired": "登录已失效，请重新登录",
    "auth.sign_in": "请先登录",
    "auth.bad_api_key": "API 密钥无效或已吊销",
    "auth.ogc_sign_in": "请先登录，或提供 API 密钥（X-API-Key 请求头或 ?api_key=）",
    "auth.too_many_attempts": "登录失败次数过多，请 {seconds} 秒后再试",
    # Permissions (403)
    "forbidden.sees_everything": "该页面列出全部图斑，外业核查员只能查看分派给自己的图斑",
    "forbidden.roles": "需要以下角色之一：{roles}",
    "forbidden.action": "{roles}不能执行“{action}”",
    "forbidden.not_assigned": "该图斑未分派给您",
    "forbidden.key_read_only": "该 API 密钥只读；提交核查须用可编辑的密钥（api-key create --edit）",
    "forbidden.ogc_cookie_write": "/ogc 的写入须带 Authorization: Bearer 令牌或可编辑的 API 密钥",
    "forbidden.csrf": "已拒绝来自其他站点的请求：{origin} 不是本站",
    "forbidden.unknown_origin": "未知来源",
    # Requests (404, 413, 422, 500)
    "request.invalid": "请求参数有误：{field} {problem}",
    "request.too_large": "请求内容过大：{path} 最多接受 {limit}",
    "request.internal": "服务器内部错误",
    "case.not_found": "没有图斑 {case_id}",
    # Case work (409, 422)
    "case.version_conflict": "图斑已被他人修改，请刷新后再提交",
    "case.unknown_action": "未知操作：{action}",
    "case.actor_required": "必须填写操作人",
    "case.not_allowed": "图斑当前为“{state}”，不能执行“{action}”",
    "case.guard.file_not_illegal": "只有核查结论为“违法”的图斑才能立案",
    "case.guard.close_illegal": "违法图斑须经立案、处罚、整改后才能结案",
    "case.guard.needs_reviewer_note": "该图斑已被退回 {returns} 次，须审核人批注后才能重新提交",
    "case.guard.too_few_photos": "举证照片 {count} 张，至少需要 {minimum} 张",
    "case.guard.reopen_not_illegal": "只有违法图斑可以重新立案",
    "case.guard.close_unreported": "巡查案件须先报告（报送市局/省厅）才能结案",
    "case.guard.already_reported": "已报告（文号 {doc_no}），不能重复报告",
    "case.guard.not_watched": "该地块未列入监管，不能复查",
    "case.guard.watch_not_illegal": "只有违法地块可以列入监管",
    # 动态巡查 (422)
    "patrol.deadline_unknown": "未知的时限设置：{names}",
    "patrol.deadline_bool": "时限设置 {name} 应为 true 或 false",
    "patrol.deadline_range": "时限设置 {name} 应为 {low} 到 {high} 之间的整数",
    "patrol.source_choices": "来源应为以下之一：{choices}",
    "patrol.violation_choices": "违法类型应为以下之一：{choices}",
    "patrol.found_in_future": "发现时间不能晚于登记时间",
    "patrol.geometry_expected": (
        "位置应为 CGCS2000 经纬度的点（GPS 定位）或面（手绘范围），且在中国境内"
    ),
    "patrol.served_after_recorded": "送达时间不能晚于登记时间",
    "patrol.served_before_found": "送达时间不能早于发现时间",
    "payload.not_object": "“{action}”的内容应为键值对象",
    "payload.missing": "“{action}”缺少必填项 {field}",
    "payload.field": "{field}：{problem}",
    "payload.reason_choices": "“{judgment}”的理由应为：{choices}",
    "payload.no_enforcement": "该图斑没有关联的立案案件",
    "payload.fine_mismatch": "案件 {case_no} 已记录罚款 {recorded:,.2f} 元，与本次 {given} 不一致",
    "payload.date_order": "{field} {on} 早于{earlier} {earlier_on}，日期先后不对",
    "payload.payment_positive": "amount_yuan：缴款金额应大于 0",
    "date.issued_on": "图斑下发日期",
    "date.filed_on": "立案日期",
    "date.decided_on": "处罚决定日期",
    "date.paid_on": "缴款日期",
    "date.rectified_on": "整改日期",
    # One value's problem (inside payload.field)
    "value.text_expected": "应为文字，收到 {got}",
    "value.empty": "不能为空",
    "value.money_expected": "应为金额数字，收到 {got}",
    "value.money_negative": "金额不能为负数",
    "value.money_too_large": "金额过大：最多 {maximum:,} 元",
    "value.money_fen": "金额 {got} 精确到分即可（最多两位小数）",
    "value.instant_expected": "时间应为 ISO 8601 格式（如 2019-06-03T09:30+08:00），收到 {got}",
    "value.date_expected": "日期应为 YYYY-MM-DD 格式的真实日期，收到 {got}",
    "value.date_too_early": "日期 {day} 早于 {earliest}",
    "value.date_future": "日期 {day} 晚于今天（{today}）：已发生的事不能记在将来",
    "value.int_expected": "应为整数，收到 {got}",
    "value.int_range": "应在 {lo} 到 {hi} 之间",
    "value.area_expected": "应为面积数字（平方米），收到 {got}",
    "value.area_range": "面积应在 0 到 {maximum:.0f} 平方米之间",
    "value.flag_expected": "应为 是/否：{got}",
    "value.judgment_expected": "核查结论应为 legal/illegal/other，收到 {got}",
    "value.polygon_expected": "应为 GeoJSON 面（Polygon/MultiPolygon）",
    "value.land_class_expected": "不是有效的三调地类编码：{got}",
    # Photos (422 PHOTO_REJECTED)
    "photo.empty": "文件为空",
    "photo.too_large": "文件超过 {megabytes} MB",
    "photo.heic": "不支持 HEIC 格式，请在相机设置中选择“兼容性最佳”（JPEG）后重新拍摄",
    "photo.bomb": "图片像素过多，疑似恶意文件",
    "photo.not_image": "文件不是 JPEG/PNG 图片",
    "photo.too_many_pixels": "图片像素过多（{pixels} 像素，上限 {maximum}）",
    "photo.truncated": "图片文件不完整或已损坏",
    # Imports (400 IMPORT_*)
    "import.missing_file": "文件不存在",
    "import.not_issued": "“{programme}”的案件由巡查发现或举报登记产生，不能作为下发图斑导入",
    "import.missing_field": "缺少必填字段 {field}",
    "import.no_crs": "文件没有坐标系（缺少 .prj 或 CRS 定义）",
    "import.no_crs_guess": "文件没有坐标系，且无法从坐标数值推断",
    "import.bad_crs": "无法识别指定的坐标系 {crs}：{problem}",
    "import.unknown_encoding": "未知的编码 {encoding}，常用的是 UTF-8 和 GBK",
    "import.unreadable_layer": "无法读取图层：{problem}",
    "import.unreadable_table": "无法读取表格：{problem}",
    "import.no_layer": "文件中没有图层 {layer}",
    "import.many_layers": "文件有多个图层，需指定要导入的图层",
    "import.zip_empty": (
        "压缩包中没有可读取的图层文件（.shp、.gpkg、.gdb、.geojson、.kml、.csv、.xlsx 等）"
    ),
    "import.zip_many_layers": "压缩包中有 {count} 个图层文件：{names}；请指定要导入的图层",
    "import.zip_same_layer": "压缩包中有多个文件的图层名为 {layer}（{names}），请只打包其中一个",
    "import.zip_no_layer": "压缩包中没有图层 {layer}，其中的图层文件：{names}",
    "import.shapefile_incomplete": (
        "Shapefile 不完整：缺少 {parts}；请把同名的 .shp、.shx、.dbf（以及 .prj、.cpg）"
        "一起提供（网页上传时打包为一个 .zip）"
    ),
    "import.shapefile_shx": "{name}.shx 索引文件",
    "import.shapefile_dbf": "{name}.dbf 属性表（图斑编号等字段都在其中）",
    # Indicators (the dashboard's warnings)
    "indicator.farmland_line": "违法占用耕地比例 {pct:.1f}%，已达 {line:.0f}% 问责线",
    "indicator.farmland_near": "违法占用耕地比例 {pct:.1f}%，接近 {line:.0f}% 问责线",
    "import.duplicate_batch": "{period} {programme} 已导入过同名但内容不同的文件",
    # 动态巡查 – patrol-api
    "patrol.client_ref": "client_ref 应为 1 到 64 个字母、数字、下划线或连字符",
    "patrol.no_open_case": (
        "该图斑所在地块没有在办的违法案件，不能选“已查处（并入在办案件）”；请按实际违法类型核查"
    ),
    "patrol.no_report": "案件 {case_id} 不是举报登记的案件，没有举报信息",
    "patrol.client_ref_taken": "该 client_ref 已被另一条记录使用，请换一个",
}
