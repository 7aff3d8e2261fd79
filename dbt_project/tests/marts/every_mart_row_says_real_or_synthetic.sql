{#-
    Every mart says whether its rows are real or synthetic: each table and view of the marts
    schema has the column is_synthetic (the not_null test of each mart's column then checks
    every row). A mart added without the flag fails here by name.
    The depends_on lines make dbt run this test after the marts it inspects.
-#}
-- depends_on: {{ ref('trade_shares') }}
-- depends_on: {{ ref('trade_shares_preferred') }}
-- depends_on: {{ ref('trade_asymmetries') }}
-- depends_on: {{ ref('trade_sources_compared') }}
-- depends_on: {{ ref('fdi_shares') }}
-- depends_on: {{ ref('china_vs_russia') }}
-- depends_on: {{ ref('coverage') }}
-- depends_on: {{ ref('data_quality') }}
-- depends_on: {{ ref('landed_responses') }}
-- depends_on: {{ ref('china_replacing_russia') }}
-- depends_on: {{ ref('china_replacing_russia_summary') }}
-- depends_on: {{ ref('china_growth') }}
-- depends_on: {{ ref('china_growth_summary') }}
-- depends_on: {{ ref('share_versions') }}
-- depends_on: {{ ref('share_changes') }}
select t.table_name as mart_without_is_synthetic
from information_schema.tables as t
where t.table_catalog = current_database()
  and t.table_schema = '{{ ref('trade_shares').schema }}'
  and not exists (
      select 1
      from information_schema.columns as c
      where c.table_catalog = t.table_catalog
        and c.table_schema = t.table_schema
        and c.table_name = t.table_name
        and c.column_name = 'is_synthetic'
  )
