"""Reference data for fake but plausible people, companies and places.

Companies are a pure function of (seed, index): the same company index always yields the same name,
industry, country, size and domain, so leads of one company agree with each other and with its
account without the generator keeping a table of companies in memory. The industry is index modulo
the number of industries, which lets the lead model pick the industry first (with planted weights)
and then a company inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

INDUSTRIES = ("Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Education",
              "Consulting", "Telecommunications")
INDUSTRY_WEIGHTS = (0.24, 0.14, 0.12, 0.15, 0.10, 0.07, 0.10, 0.08)
_INDUSTRY_NOUNS = {
    "Technology": ("Systems", "Software", "Labs", "Digital", "Cloud"),
    "Finance": ("Capital", "Financial", "Partners", "Bancorp", "Payments"),
    "Healthcare": ("Health", "Medical", "Biosciences", "Care", "Clinics"),
    "Manufacturing": ("Industries", "Manufacturing", "Components", "Works", "Machinery"),
    "Retail": ("Retail", "Stores", "Brands", "Outfitters", "Market"),
    "Education": ("Learning", "Academy", "Education", "Institute", "Schools"),
    "Consulting": ("Consulting", "Advisors", "Group", "Associates", "Strategy"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Wireless", "Connect"),
}
_CN_INDUSTRY = {"Technology": ("Technology", "科技"), "Finance": ("Financial", "金融"),
                "Healthcare": ("Medical", "医疗"), "Manufacturing": ("Industrial", "实业"),
                "Retail": ("Trading", "商贸"), "Education": ("Education", "教育"),
                "Consulting": ("Consulting", "咨询"), "Telecommunications": ("Communication", "通信")}
_PRE1 = ("Blue", "North", "Silver", "Bright", "Red", "Green", "Iron", "Clear", "Summit", "Stone",
         "Harbor", "Pine", "Oak", "River", "Sun", "Star", "Cedar", "Golden", "Swift", "Prime",
         "Maple", "Eagle", "Falcon", "Lake", "Coast", "Peak", "True", "Bold", "Wide", "High",
         "Nova", "Apex", "Alder", "Birch", "Copper", "Delta", "Echo", "Frost", "Granite", "Hollow")
_PRE2 = ("peak", "field", "bridge", "point", "stone", "wave", "light", "ridge", "gate", "path",
         "line", "wood", "view", "port", "crest", "forge", "mark", "spring", "brook", "vale",
         "stack", "works", "shore", "haven", "bay", "rock", "leaf", "wind", "fire", "dale",
         "hill", "moor", "star", "hub", "core", "tree", "loop", "sky", "land", "well")
_LEGAL = ("Inc.", "LLC", "Corp.", "Ltd.", "Co.", "")
_CN_BRAND = (("Hua", "华"), ("Xin", "信"), ("Tian", "天"), ("Zhong", "中"), ("Hai", "海"), ("Jin", "金"),
             ("Long", "龙"), ("Da", "大"), ("Ming", "明"), ("Kai", "凯"), ("Rui", "瑞"), ("Bo", "博"),
             ("Yuan", "远"), ("Sheng", "盛"), ("Heng", "恒"), ("Tai", "泰"), ("An", "安"), ("Chuang", "创"),
             ("Feng", "丰"), ("Cheng", "诚"), ("Jia", "嘉"), ("Hong", "宏"), ("Yi", "易"), ("Ding", "鼎"))

# country, weight, share of the org's currency that is CNY, cities: (city, state, area code / city code)
COUNTRIES = (
    ("United States", 0.52, (("San Francisco", "CA", "415"), ("Seattle", "WA", "206"), ("Denver", "CO", "303"),
                             ("Los Angeles", "CA", "213"), ("New York", "NY", "212"), ("Boston", "MA", "617"),
                             ("Chicago", "IL", "312"), ("Atlanta", "GA", "404"), ("Austin", "TX", "512"),
                             ("Miami", "FL", "305"))),
    ("China", 0.22, (("Shanghai", "Shanghai", "21"), ("Beijing", "Beijing", "10"), ("Shenzhen", "Guangdong", "755"),
                     ("Guangzhou", "Guangdong", "20"), ("Hangzhou", "Zhejiang", "571"), ("Chengdu", "Sichuan", "28"))),
    ("United Kingdom", 0.08, (("London", "", "20"), ("Manchester", "", "161"))),
    ("Canada", 0.06, (("Toronto", "ON", "416"), ("Vancouver", "BC", "604"))),
    ("Germany", 0.07, (("Berlin", "BE", "30"), ("Munich", "BY", "89"))),
    ("Singapore", 0.05, (("Singapore", "", "6"),)),
)
WEST_STATES = frozenset({"CA", "WA", "CO", "BC"})
# How people type the country (the warehouse must normalise it).
COUNTRY_SPELLINGS = {"United States": (("United States", 0.7), ("USA", 0.2), ("US", 0.1)),
                     "China": (("China", 0.85), ("CN", 0.05), ("中国", 0.10))}
_SIZE_BANDS = ((10, 50, 0.25), (51, 200, 0.30), (201, 1000, 0.25), (1001, 5000, 0.13), (5001, 50000, 0.07))

FIRST_NAMES = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
               "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
               "Daniel", "Karen", "Matthew", "Emily", "Anthony", "Olivia", "Mark", "Sophia", "Paul", "Emma",
               "Steven", "Ava", "Andrew", "Mia", "Kevin", "Chloe", "Brian", "Grace", "Priya", "Lukas", "Aisha",
               "Noah")
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
              "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
              "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen",
              "King", "Wright", "O'Brien", "Müller", "Schmidt", "Patel", "Nguyen", "Kim", "Tan", "Singh",
              "Dubois", "Rossi")
CN_SURNAMES = (("Wang", "王"), ("Li", "李"), ("Zhang", "张"), ("Liu", "刘"), ("Chen", "陈"), ("Yang", "杨"),
               ("Zhao", "赵"), ("Huang", "黄"), ("Zhou", "周"), ("Wu", "吴"), ("Xu", "徐"), ("Sun", "孙"),
               ("Ma", "马"), ("Zhu", "朱"), ("Hu", "胡"), ("Guo", "郭"))
CN_GIVEN = (("Wei", "伟"), ("Fang", "芳"), ("Na", "娜"), ("Min", "敏"), ("Jing", "静"), ("Lei", "磊"),
            ("Qiang", "强"), ("Yang", "洋"), ("Yan", "艳"), ("Jie", "杰"), ("Tao", "涛"), ("Ming", "明"),
            ("Chao", "超"), ("Xiuying", "秀英"), ("Haoran", "浩然"), ("Zihan", "子涵"))
TITLES = ("VP of Sales", "Head of Marketing", "Marketing Manager", "Director of Operations", "CFO", "CTO",
          "Data Analyst", "Sales Operations Manager", "Head of Growth", "IT Director", "Procurement Manager",
          "CEO", "Revenue Operations Lead", "Business Analyst", "SVP, Finance and Administration")
PRODUCTS = ("Funnel Analytics", "Data Pipeline", "Enterprise Suite", "Starter Plan")
HELP_TEXTS = (
    "We'd like a demo for our sales team.",
    "Looking for pricing, we have about 20 seats.",
    "Can you integrate with Salesforce and HubSpot?",
    "Evaluating tools for Q3, please send a proposal.",
    "Need help with attribution across Google Ads and LinkedIn",
    "",
    "Our current BI setup is too slow.\nWe need daily funnel reports.",
    "想了解一下产品价格和部署方式",
    "Please call me back, \"urgent\" before end of quarter",
    "Student project, just curious",
)


@dataclass(frozen=True, slots=True)
class Company:
    index: int
    name: str
    industry: str
    country: str
    state: str
    city: str
    area_code: str
    employees: int
    annual_revenue: int
    domain: str
    chinese: bool  # name written in Chinese characters


def mix64(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash for deriving attributes from an index."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _pick_weighted(u: float, items: tuple, weight_at: int) -> tuple:
    """Pick the item whose cumulative weight (element weight_at) first exceeds u in [0, 1)."""
    acc = 0.0
    for item in items:
        acc += item[weight_at]
        if u < acc:
            return item
    return items[-1]


def company(seed: int, index: int) -> Company:
    """The company with this index: every attribute is derived from (seed, index) alone."""
    h = mix64(seed * 1_000_003 + index)
    industry = INDUSTRIES[index % len(INDUSTRIES)]
    k = index // len(INDUSTRIES)
    country, _, cities = _pick_weighted((h & 0xFFFF) / 65536, COUNTRIES, 1)
    city, state, area = cities[(h >> 16) % len(cities)]
    lo, hi, _ = _pick_weighted(((h >> 24) & 0xFFFF) / 65536, _SIZE_BANDS, 2)
    employees = lo + (h >> 40) % (hi - lo + 1)
    revenue = employees * (80_000 + (h >> 8) % 220_000) // 1000 * 1000
    nouns = _INDUSTRY_NOUNS[industry]
    if country == "China":
        b1, b2 = _CN_BRAND[k % 24], _CN_BRAND[(k // 24) % 24]
        en_ind, zh_ind = _CN_INDUSTRY[industry]
        chinese = (h >> 50) % 2 == 0
        cn_city = {"Shanghai": "上海", "Beijing": "北京", "Shenzhen": "深圳", "Guangzhou": "广州",
                   "Hangzhou": "杭州", "Chengdu": "成都"}[city]
        extra = k // 576
        if chinese:
            name = f"{cn_city}{b1[1]}{b2[1]}{zh_ind}有限公司" + (f"{extra}" if extra else "")
        else:
            name = f"{city} {b1[0]}{b2[0].lower()} {en_ind} Co., Ltd." + (f" {extra}" if extra else "")
        domain = f"{b1[0]}{b2[0]}{en_ind}{extra or ''}".lower() + ".cn"
    else:
        p1, p2 = _PRE1[k % 40], _PRE2[(k // 40) % 40]
        noun = nouns[(k // 1600) % 5]
        extra = k // 8000
        legal = _LEGAL[(h >> 56) % len(_LEGAL)]
        brand = f"{p1}{p2}" + (f" {extra + 1}" if extra else "")
        name = f"{brand} {noun}" + (f" {legal}" if legal else "")
        domain = f"{p1}{p2}{noun}{extra or ''}".lower() + (".de" if country == "Germany" else ".com")
        chinese = False
    return Company(index, name, industry, country, state, city, area, employees, revenue, domain, chinese)
