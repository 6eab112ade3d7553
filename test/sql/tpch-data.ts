/**
 * A small TPC-H database (the benchmark's eight tables, its value domains and its date rules,
 * a few thousand line items) as SQL statements, and the 22 TPC-H queries with their default
 * parameters, written as the benchmark gives them (comma joins, correlated subqueries, EXISTS,
 * IN over grouped subqueries, ORs of join conditions). Deterministic for a seed.
 */
import { Random } from './random-queries.js';

export interface TpchSize {
  readonly suppliers: number;
  readonly parts: number;
  readonly customers: number;
  readonly orders: number;
}

export const SMALL: TpchSize = { suppliers: 20, parts: 200, customers: 150, orders: 600 };

const WORDS = 'furiously quickly carefully blithely slyly ironic final pending regular special express bold even silent unusual requests deposits accounts packages theodolites pinto beans foxes ideas dependencies instructions asymptotes'.split(' ');
const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
const NATIONS: readonly [string, number][] = [
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 1], ['CANADA', 1], ['EGYPT', 4], ['ETHIOPIA', 0], ['FRANCE', 3], ['GERMANY', 3], ['INDIA', 2], ['INDONESIA', 2], ['IRAN', 4], ['IRAQ', 4], ['JAPAN', 2],
  ['JORDAN', 4], ['KENYA', 0], ['MOROCCO', 0], ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 2], ['ROMANIA', 3], ['SAUDI ARABIA', 4], ['VIETNAM', 2], ['RUSSIA', 3], ['UNITED KINGDOM', 3], ['UNITED STATES', 1],
];
const COLORS = 'almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick floral forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender lawn lemon light lime linen magenta maroon medium metallic midnight mint misty moccasin navajo navy olive orange orchid pale papaya peach peru pink plum powder puff purple red rose rosy royal saddle salmon sandy seashell sienna sky slate smoke snow spring steel tan thistle tomato turquoise violet wheat white yellow'.split(' ');
const TYPES = ['STANDARD SMALL MEDIUM LARGE ECONOMY PROMO', 'ANODIZED BURNISHED PLATED POLISHED BRUSHED', 'TIN NICKEL BRASS STEEL COPPER'].map((s) => s.split(' '));
const CONTAINERS = ['SM LG MED JUMBO WRAP', 'CASE BOX BAG JAR PKG PACK CAN DRUM'].map((s) => s.split(' '));
const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
const PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
const INSTRUCTIONS = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const DAY = 86_400_000;
const START = Date.UTC(1992, 0, 1);
const END = Date.UTC(1998, 7, 2);
const CURRENT = Date.UTC(1995, 5, 17);

type Value = string | number | null | { readonly date: number };

function sql(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return `DATE '${new Date(v.date).toISOString().slice(0, 10)}'`;
}

/** The statements that create and fill the eight tables. */
export function tpchTables(size: TpchSize = SMALL, seed = 7): string[] {
  const r = new Random(seed);
  const int = (lo: number, hi: number) => lo + r.below(hi - lo + 1);
  const comment = (n: number) => Array.from({ length: n }, () => r.pick(WORDS)).join(' ');
  const money = (lo: number, hi: number) => (int(lo * 100, hi * 100) / 100).toFixed(2);
  const phone = (nation: number) => `${nation + 10}-${int(100, 999)}-${int(100, 999)}-${int(1000, 9999)}`;
  const out: string[] = [];
  const table = (name: string, columns: readonly string[], rows: readonly Value[][]) => {
    out.push(`CREATE TABLE ${name} (${columns.join(', ')})`);
    for (let i = 0; i < rows.length; i += 500) out.push(`INSERT INTO ${name} VALUES ${rows.slice(i, i + 500).map((row) => `(${row.map(sql).join(', ')})`).join(', ')}`);
  };
  table('region', ['r_regionkey INT PRIMARY KEY', 'r_name STRING', 'r_comment STRING'], REGIONS.map((n, i) => [i, n, comment(5)]));
  table('nation', ['n_nationkey INT PRIMARY KEY', 'n_name STRING', 'n_regionkey INT', 'n_comment STRING'], NATIONS.map(([n, region], i) => [i, n, region, comment(5)]));
  const suppliers = Array.from({ length: size.suppliers }, (_, i): Value[] => {
    const k = i + 1;
    const nation = r.below(25);
    return [k, `Supplier#${String(k).padStart(9, '0')}`, `addr${k}`, nation, phone(nation), money(-999.99, 9999.99), k % 7 === 3 ? `slyly Customer bold Complaints ${comment(3)}` : comment(5)];
  });
  table('supplier', ['s_suppkey INT PRIMARY KEY', 's_name STRING', 's_address STRING', 's_nationkey INT', 's_phone STRING', 's_acctbal DECIMAL(15,2)', 's_comment STRING'], suppliers);
  const prices: number[] = [];
  const parts = Array.from({ length: size.parts }, (_, i): Value[] => {
    const k = i + 1;
    const m = int(1, 5);
    const names = [...COLORS];
    const name = Array.from({ length: 5 }, () => names.splice(r.below(names.length), 1)[0]!).join(' ');
    prices[k] = (90000 + (Math.floor(k / 10) % 20001) + 100 * (k % 1000)) / 100;
    return [k, name, `Manufacturer#${m}`, `Brand#${m}${int(1, 5)}`, TYPES.map((t) => r.pick(t)).join(' '), r.pick([1, 3, 9, 14, 15, 19, 23, 36, 45, 49, int(1, 50)]), CONTAINERS.map((c) => r.pick(c)).join(' '), prices[k]!.toFixed(2), comment(3)];
  });
  table('part', ['p_partkey INT PRIMARY KEY', 'p_name STRING', 'p_mfgr STRING', 'p_brand STRING', 'p_type STRING', 'p_size INT', 'p_container STRING', 'p_retailprice DECIMAL(15,2)', 'p_comment STRING'], parts);
  // Four suppliers per part, as TPC-H spreads them.
  const supplierOf = (part: number, i: number) => ((part + i * (Math.floor(size.suppliers / 4) + Math.floor((part - 1) / size.suppliers))) % size.suppliers) + 1;
  const partsupp: Value[][] = [];
  for (let k = 1; k <= size.parts; k++) for (let i = 0; i < 4; i++) partsupp.push([k, supplierOf(k, i), int(1, 9999), money(1, 1000), comment(5)]);
  table('partsupp', ['ps_partkey INT', 'ps_suppkey INT', 'ps_availqty INT', 'ps_supplycost DECIMAL(15,2)', 'ps_comment STRING'], partsupp);
  const customers = Array.from({ length: size.customers }, (_, i): Value[] => {
    const nation = r.below(25);
    return [i + 1, `Customer#${String(i + 1).padStart(9, '0')}`, `caddr${i + 1}`, nation, phone(nation), money(-999.99, 9999.99), r.pick(SEGMENTS), comment(5)];
  });
  table('customer', ['c_custkey INT PRIMARY KEY', 'c_name STRING', 'c_address STRING', 'c_nationkey INT', 'c_phone STRING', 'c_acctbal DECIMAL(15,2)', 'c_mktsegment STRING', 'c_comment STRING'], customers);
  const orders: Value[][] = [];
  const lines: Value[][] = [];
  for (let i = 1; i <= size.orders; i++) {
    // Sparse order keys, and a third of the customers without orders, as TPC-H.
    const key = i % 3 ? i * 4 - 3 : i * 4;
    let customer = int(1, size.customers);
    while (customer % 3 === 0) customer = int(1, size.customers);
    const ordered = START + r.below((END - START) / DAY - 151) * DAY;
    const n = int(1, 7);
    let total = 0;
    const statuses = new Set<string>();
    for (let line = 1; line <= n; line++) {
      const part = int(1, size.parts);
      const supplier = supplierOf(part, r.below(4));
      const quantity = int(1, 50);
      const price = (quantity * prices[part]!).toFixed(2);
      const discount = (r.below(11) / 100).toFixed(2);
      const tax = (r.below(9) / 100).toFixed(2);
      const shipped = ordered + int(1, 121) * DAY;
      const committed = ordered + int(30, 90) * DAY;
      const received = shipped + int(1, 30) * DAY;
      const status = shipped > CURRENT ? 'O' : 'F';
      statuses.add(status);
      total += Number(price) * (1 + Number(tax)) * (1 - Number(discount));
      lines.push([key, part, supplier, line, quantity, price, discount, tax, received <= CURRENT ? r.pick(['R', 'A']) : 'N', status, { date: shipped }, { date: committed }, { date: received }, r.pick(INSTRUCTIONS), r.pick(MODES), comment(3)]);
    }
    const status = statuses.size === 2 ? 'P' : [...statuses][0]!;
    orders.push([key, customer, status, total.toFixed(2), { date: ordered }, r.pick(PRIORITIES), `Clerk#${String(int(1, 100)).padStart(9, '0')}`, 0, i % 11 === 0 ? `pending special foxes requests ${comment(4)}` : comment(6)]);
  }
  table('orders', ['o_orderkey INT PRIMARY KEY', 'o_custkey INT', 'o_orderstatus STRING', 'o_totalprice DECIMAL(15,2)', 'o_orderdate DATE', 'o_orderpriority STRING', 'o_clerk STRING', 'o_shippriority INT', 'o_comment STRING'], orders);
  table('lineitem', ['l_orderkey INT', 'l_partkey INT', 'l_suppkey INT', 'l_linenumber INT', 'l_quantity DECIMAL(15,2)', 'l_extendedprice DECIMAL(15,2)', 'l_discount DECIMAL(15,2)', 'l_tax DECIMAL(15,2)', 'l_returnflag STRING', 'l_linestatus STRING', 'l_shipdate DATE', 'l_commitdate DATE', 'l_receiptdate DATE', 'l_shipinstruct STRING', 'l_shipmode STRING', 'l_comment STRING'], lines);
  return out;
}

/**
 * The 22 queries with their default parameters (Q15's view as a WITH), each named; some again
 * with wider parameters, so that the small database gives them rows.
 */
export const TPCH_QUERIES: readonly (readonly [string, string])[] = [
  ['Q1', "SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price, sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge, avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus"],
  ['Q2', "SELECT s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment FROM part, supplier, partsupp, nation, region WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND p_size = 15 AND p_type LIKE '%BRASS' AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'EUROPE' AND ps_supplycost = (SELECT min(ps_supplycost) FROM partsupp, supplier, nation, region WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'EUROPE') ORDER BY s_acctbal DESC, n_name, s_name, p_partkey LIMIT 100"],
  ['Q3', "SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority FROM customer, orders, lineitem WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15' GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate LIMIT 10"],
  ['Q4', "SELECT o_orderpriority, count(*) AS order_count FROM orders WHERE o_orderdate >= DATE '1993-07-01' AND o_orderdate < DATE '1993-07-01' + INTERVAL '3' MONTH AND EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate) GROUP BY o_orderpriority ORDER BY o_orderpriority"],
  ['Q5', "SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM customer, orders, lineitem, supplier, nation, region WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'ASIA' AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1994-01-01' + INTERVAL '1' YEAR GROUP BY n_name ORDER BY revenue DESC"],
  ['Q6', "SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24"],
  ['Q7', "SELECT supp_nation, cust_nation, l_year, sum(volume) AS revenue FROM (SELECT n1.n_name AS supp_nation, n2.n_name AS cust_nation, extract(year FROM l_shipdate) AS l_year, l_extendedprice * (1 - l_discount) AS volume FROM supplier, lineitem, orders, customer, nation n1, nation n2 WHERE s_suppkey = l_suppkey AND o_orderkey = l_orderkey AND c_custkey = o_custkey AND s_nationkey = n1.n_nationkey AND c_nationkey = n2.n_nationkey AND ((n1.n_name = 'FRANCE' AND n2.n_name = 'GERMANY') OR (n1.n_name = 'GERMANY' AND n2.n_name = 'FRANCE')) AND l_shipdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31') AS shipping GROUP BY supp_nation, cust_nation, l_year ORDER BY supp_nation, cust_nation, l_year"],
  ['Q8', "SELECT o_year, sum(CASE WHEN nation = 'BRAZIL' THEN volume ELSE 0 END) / sum(volume) AS mkt_share FROM (SELECT extract(year FROM o_orderdate) AS o_year, l_extendedprice * (1 - l_discount) AS volume, n2.n_name AS nation FROM part, supplier, lineitem, orders, customer, nation n1, nation n2, region WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey AND l_orderkey = o_orderkey AND o_custkey = c_custkey AND c_nationkey = n1.n_nationkey AND n1.n_regionkey = r_regionkey AND r_name = 'AMERICA' AND s_nationkey = n2.n_nationkey AND o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1996-12-31' AND p_type = 'ECONOMY ANODIZED STEEL') AS all_nations GROUP BY o_year ORDER BY o_year"],
  ['Q9', "SELECT nation, o_year, sum(amount) AS sum_profit FROM (SELECT n_name AS nation, extract(year FROM o_orderdate) AS o_year, l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity AS amount FROM part, supplier, lineitem, partsupp, orders, nation WHERE s_suppkey = l_suppkey AND ps_suppkey = l_suppkey AND ps_partkey = l_partkey AND p_partkey = l_partkey AND o_orderkey = l_orderkey AND s_nationkey = n_nationkey AND p_name LIKE '%green%') AS profit GROUP BY nation, o_year ORDER BY nation, o_year DESC"],
  ['Q10', "SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_address, c_phone, c_comment FROM customer, orders, lineitem, nation WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= DATE '1993-10-01' AND o_orderdate < DATE '1993-10-01' + INTERVAL '3' MONTH AND l_returnflag = 'R' AND c_nationkey = n_nationkey GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment ORDER BY revenue DESC, c_custkey LIMIT 20"],
  ['Q11', "SELECT ps_partkey, sum(ps_supplycost * ps_availqty) AS value FROM partsupp, supplier, nation WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'GERMANY' GROUP BY ps_partkey HAVING sum(ps_supplycost * ps_availqty) > (SELECT sum(ps_supplycost * ps_availqty) * 0.0001 FROM partsupp, supplier, nation WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'GERMANY') ORDER BY value DESC, ps_partkey"],
  ['Q11 (FRANCE)', "SELECT ps_partkey, sum(ps_supplycost * ps_availqty) AS value FROM partsupp, supplier, nation WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'FRANCE' GROUP BY ps_partkey HAVING sum(ps_supplycost * ps_availqty) > (SELECT sum(ps_supplycost * ps_availqty) * 0.0001 FROM partsupp, supplier, nation WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = 'FRANCE') ORDER BY value DESC, ps_partkey"],
  ['Q12', "SELECT l_shipmode, sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count, sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count FROM orders, lineitem WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate AND l_receiptdate >= DATE '1994-01-01' AND l_receiptdate < DATE '1994-01-01' + INTERVAL '1' YEAR GROUP BY l_shipmode ORDER BY l_shipmode"],
  ['Q13', "SELECT c_count, count(*) AS custdist FROM (SELECT c_custkey, count(o_orderkey) FROM customer LEFT OUTER JOIN orders ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%' GROUP BY c_custkey) AS c_orders (c_custkey, c_count) GROUP BY c_count ORDER BY custdist DESC, c_count DESC"],
  ['Q14', "SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END) / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue FROM lineitem, part WHERE l_partkey = p_partkey AND l_shipdate >= DATE '1995-09-01' AND l_shipdate < DATE '1995-09-01' + INTERVAL '1' MONTH"],
  ['Q15', "WITH revenue0 AS (SELECT l_suppkey AS supplier_no, sum(l_extendedprice * (1 - l_discount)) AS total_revenue FROM lineitem WHERE l_shipdate >= DATE '1996-01-01' AND l_shipdate < DATE '1996-01-01' + INTERVAL '3' MONTH GROUP BY l_suppkey) SELECT s_suppkey, s_name, s_address, s_phone, total_revenue FROM supplier, revenue0 WHERE s_suppkey = supplier_no AND total_revenue = (SELECT max(total_revenue) FROM revenue0) ORDER BY s_suppkey"],
  ['Q16', "SELECT p_brand, p_type, p_size, count(DISTINCT ps_suppkey) AS supplier_cnt FROM partsupp, part WHERE p_partkey = ps_partkey AND p_brand <> 'Brand#45' AND p_type NOT LIKE 'MEDIUM POLISHED%' AND p_size IN (49, 14, 23, 45, 19, 3, 36, 9) AND ps_suppkey NOT IN (SELECT s_suppkey FROM supplier WHERE s_comment LIKE '%Customer%Complaints%') GROUP BY p_brand, p_type, p_size ORDER BY supplier_cnt DESC, p_brand, p_type, p_size"],
  ['Q17', "SELECT sum(l_extendedprice) / 7.0 AS avg_yearly FROM lineitem, part WHERE p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container = 'MED BOX' AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)"],
  ['Q17 (Brand#2x, 0.5)', "SELECT sum(l_extendedprice) / 7.0 AS avg_yearly FROM lineitem, part WHERE p_partkey = l_partkey AND p_brand LIKE 'Brand#2%' AND l_quantity < (SELECT 0.5 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)"],
  ['Q18', "SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity) FROM customer, orders, lineitem WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 300) AND c_custkey = o_custkey AND o_orderkey = l_orderkey GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice ORDER BY o_totalprice DESC, o_orderdate LIMIT 100"],
  ['Q18 (> 200)', "SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity) FROM customer, orders, lineitem WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 200) AND c_custkey = o_custkey AND o_orderkey = l_orderkey GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice ORDER BY o_totalprice DESC, o_orderdate LIMIT 100"],
  ['Q19', "SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem, part WHERE (p_partkey = l_partkey AND p_brand = 'Brand#12' AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG') AND l_quantity >= 1 AND l_quantity <= 1 + 10 AND p_size BETWEEN 1 AND 5 AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON') OR (p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK') AND l_quantity >= 10 AND l_quantity <= 10 + 10 AND p_size BETWEEN 1 AND 10 AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON') OR (p_partkey = l_partkey AND p_brand = 'Brand#34' AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG') AND l_quantity >= 20 AND l_quantity <= 20 + 10 AND p_size BETWEEN 1 AND 15 AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')"],
  ['Q19 (wider)', "SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem, part WHERE (p_partkey = l_partkey AND p_brand LIKE 'Brand#1%' AND l_quantity >= 1 AND l_quantity <= 1 + 10 AND p_size BETWEEN 1 AND 15 AND l_shipmode IN ('AIR', 'REG AIR')) OR (p_partkey = l_partkey AND p_brand LIKE 'Brand#2%' AND l_quantity >= 10 AND l_quantity <= 10 + 10 AND p_size BETWEEN 1 AND 20 AND l_shipmode IN ('AIR', 'REG AIR'))"],
  ['Q20', "SELECT s_name, s_address FROM supplier, nation WHERE s_suppkey IN (SELECT ps_suppkey FROM partsupp WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE 'forest%') AND ps_availqty > (SELECT 0.5 * sum(l_quantity) FROM lineitem WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey AND l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR)) AND s_nationkey = n_nationkey AND n_name = 'CANADA' ORDER BY s_name"],
  ['Q20 (any name, any nation)', "SELECT s_name, s_address FROM supplier, nation WHERE s_suppkey IN (SELECT ps_suppkey FROM partsupp WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE '%a%') AND ps_availqty > (SELECT 0.5 * sum(l_quantity) FROM lineitem WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey AND l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR)) AND s_nationkey = n_nationkey ORDER BY s_name"],
  ['Q21', "SELECT s_name, count(*) AS numwait FROM supplier, lineitem l1, orders, nation WHERE s_suppkey = l1.l_suppkey AND o_orderkey = l1.l_orderkey AND o_orderstatus = 'F' AND l1.l_receiptdate > l1.l_commitdate AND EXISTS (SELECT * FROM lineitem l2 WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey) AND NOT EXISTS (SELECT * FROM lineitem l3 WHERE l3.l_orderkey = l1.l_orderkey AND l3.l_suppkey <> l1.l_suppkey AND l3.l_receiptdate > l3.l_commitdate) AND s_nationkey = n_nationkey AND n_name IN ('SAUDI ARABIA', 'IRAN', 'CHINA') GROUP BY s_name ORDER BY numwait DESC, s_name LIMIT 100"],
  ['Q22', "SELECT cntrycode, count(*) AS numcust, sum(c_acctbal) AS totacctbal FROM (SELECT substring(c_phone FROM 1 FOR 2) AS cntrycode, c_acctbal FROM customer WHERE substring(c_phone FROM 1 FOR 2) IN ('13', '31', '23', '29', '30', '18', '17') AND c_acctbal > (SELECT avg(c_acctbal) FROM customer WHERE c_acctbal > 0.00 AND substring(c_phone FROM 1 FOR 2) IN ('13', '31', '23', '29', '30', '18', '17')) AND NOT EXISTS (SELECT * FROM orders WHERE o_custkey = c_custkey)) AS custsale GROUP BY cntrycode ORDER BY cntrycode"],
];
